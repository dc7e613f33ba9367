using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.Server.Internal;

/// <summary>
/// The connection's pipes handed to the protocol that replaced HTTP (a WebSocket session): the same
/// <see cref="PipeReader"/> — with any bytes the client sent right after the upgrade request already in it — and the
/// same <see cref="PipeWriter"/>, observed so that the connection knows when the new owner has finished with both.
/// </summary>
/// <remarks>Thread-safety: as the wrapped pipes (one reader, one writer); completion may be signalled from either side.</remarks>
internal sealed class UpgradedTransport : IDuplexPipe
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _completedSides;
    private int _outputAbandoned;

    public UpgradedTransport(IDuplexPipe inner)
    {
        Input = new Reader(inner.Input, this);
        Output = new Writer(inner.Output, this);
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>Completes once both the input and the output have been completed by the new owner.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Whether the new owner gave up on a flush (a session whose close timeout expired while the peer was not reading):
    /// what is left in the send buffer will never be read, so the connection is to be reset, not drained.
    /// </summary>
    public bool OutputAbandoned => Volatile.Read(ref _outputAbandoned) != 0;

    private void OnSideCompleted(ref int flag)
    {
        if (Interlocked.Exchange(ref flag, 1) == 0 && Interlocked.Increment(ref _completedSides) == 2)
        {
            _completion.TrySetResult();
        }
    }

    private sealed class Reader : PipeReader
    {
        private readonly PipeReader _inner;
        private readonly UpgradedTransport _owner;
        private int _completed;

        public Reader(PipeReader inner, UpgradedTransport owner)
        {
            _inner = inner;
            _owner = owner;
        }

        public override void AdvanceTo(SequencePosition consumed) => _inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => _inner.CancelPendingRead();

        public override void Complete(Exception? exception = null)
        {
            _inner.Complete(exception);
            _owner.OnSideCompleted(ref _completed);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            await _inner.CompleteAsync(exception).ConfigureAwait(false);
            _owner.OnSideCompleted(ref _completed);
        }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) => _inner.ReadAsync(cancellationToken);

        public override bool TryRead(out ReadResult result) => _inner.TryRead(out result);
    }

    private sealed class Writer : PipeWriter
    {
        private readonly PipeWriter _inner;
        private readonly UpgradedTransport _owner;
        private int _completed;

        public Writer(PipeWriter inner, UpgradedTransport owner)
        {
            _inner = inner;
            _owner = owner;
        }

        public override bool CanGetUnflushedBytes => _inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => _inner.UnflushedBytes;

        public override void Advance(int bytes) => _inner.Advance(bytes);

        public override void CancelPendingFlush()
        {
            Volatile.Write(ref _owner._outputAbandoned, 1);
            _inner.CancelPendingFlush();
        }

        public override void Complete(Exception? exception = null)
        {
            _inner.Complete(exception);
            _owner.OnSideCompleted(ref _completed);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            await _inner.CompleteAsync(exception).ConfigureAwait(false);
            _owner.OnSideCompleted(ref _completed);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _inner.FlushAsync(cancellationToken);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);
    }
}
