using System.Reactive;

namespace Rx.WebSockets.Session;

/// <summary>The implementation of <see cref="KeepAlive.Ponger"/>: one pong per ping, same payload.</summary>
internal sealed class PongerOperator : ObservableBase<PongFrame>
{
    private readonly IObservable<PingFrame> _pings;

    public PongerOperator(IObservable<PingFrame> pings) => _pings = pings;

    protected override IDisposable SubscribeCore(IObserver<PongFrame> observer) => _pings.Subscribe(new _(observer));

    private sealed class _ : IObserver<PingFrame>
    {
        private readonly IObserver<PongFrame> _observer;

        public _(IObserver<PongFrame> observer) => _observer = observer;

        public void OnNext(PingFrame value) => _observer.OnNext(Frame.Pong(value.Payload));

        public void OnError(Exception error) => _observer.OnError(error);

        public void OnCompleted() => _observer.OnCompleted();
    }
}
