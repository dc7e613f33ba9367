using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.Server.Internal;

/// <summary>The open connections of one server, against <see cref="HttpServerSettings.MaxConnections"/>.</summary>
/// <remarks>
/// Thread-safety: every member may be called from any thread; one lock keeps the check and the increment together, so
/// several accept loops (one per listening address) never admit more than the limit between them.
/// </remarks>
internal sealed class ConnectionCounter
{
    private readonly object _gate = new();
    private readonly int _max;
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = new();
    private int _count;

    public ConnectionCounter(int max) => _max = max;

    /// <summary>The connections counted now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Counts a new connection unless the limit is reached.</summary>
    /// <returns>False when the server is full: the connection must be refused and not removed.</returns>
    public bool TryAdd()
    {
        lock (_gate)
        {
            if (_count >= _max)
            {
                return false;
            }

            _count++;
            return true;
        }
    }

    /// <summary>Uncounts a connection that <see cref="TryAdd"/> admitted, once it is closed.</summary>
    public void Remove()
    {
        List<TaskCompletionSource>? fire = null;
        lock (_gate)
        {
            _count--;
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_count <= _waiters[i].Count)
                {
                    (fire ??= new()).Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        fire?.ForEach(s => s.TrySetResult());
    }

    /// <summary>Completes once at most <paramref name="count"/> connections are open (diagnostics and tests: "back to zero").</summary>
    public Task WhenAtMostAsync(int count)
    {
        lock (_gate)
        {
            if (_count <= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
            return signal.Task;
        }
    }
}
