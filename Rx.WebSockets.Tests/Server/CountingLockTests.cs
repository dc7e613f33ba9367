using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Server;

namespace Rx.WebSockets.Tests.Server;

/// <summary>
/// The write lock of <see cref="HttpResponse"/> (<c>HttpResponse.CountingLock</c>): uncontended it completes at once
/// and creates no semaphore; contended, waiters get it one at a time as holders let go.
/// </summary>
public sealed class CountingLockTests
{
    private int _count;
    private SemaphoreSlim? _waiters;

    [Fact]
    public void EnterAsync_Uncontended_CompletesAtOnceWithoutASemaphore()
    {
        for (int i = 0; i < 3; i++)
        {
            var entered = HttpResponse.CountingLock.EnterAsync(ref _count, ref _waiters, CancellationToken.None);
            Assert.True(entered.IsCompletedSuccessfully);
            HttpResponse.CountingLock.Exit(ref _count, ref _waiters);
        }

        Assert.Equal(0, _count);
        Assert.Null(_waiters);
    }

    [Fact]
    public async Task EnterAsync_WhileHeld_WaitsForEachHolderInTurn()
    {
        Assert.True(HttpResponse.CountingLock.EnterAsync(ref _count, ref _waiters, CancellationToken.None).IsCompletedSuccessfully);
        var second = HttpResponse.CountingLock.EnterAsync(ref _count, ref _waiters, CancellationToken.None).AsTask();
        var third = HttpResponse.CountingLock.EnterAsync(ref _count, ref _waiters, CancellationToken.None).AsTask();
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);

        HttpResponse.CountingLock.Exit(ref _count, ref _waiters);
        var first = await Task.WhenAny(second, third);
        var other = first == second ? third : second;
        Assert.False(other.IsCompleted);

        HttpResponse.CountingLock.Exit(ref _count, ref _waiters);
        await other;
        HttpResponse.CountingLock.Exit(ref _count, ref _waiters);

        Assert.Equal(0, _count);
        Assert.Equal(0, _waiters!.CurrentCount);
    }

    [Fact]
    public void EnterAsync_CancelledToken_FailsAndTakesNothing()
    {
        var entered = HttpResponse.CountingLock.EnterAsync(ref _count, ref _waiters, new CancellationToken(canceled: true));

        Assert.True(entered.IsCanceled);
        Assert.Equal(0, _count);
        Assert.True(HttpResponse.CountingLock.EnterAsync(ref _count, ref _waiters, CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task EnterAsync_ManyThreads_NeverTwoHoldersAtOnce()
    {
        int holders = 0;
        int maxHolders = 0;
        long total = 0;
        var lockOwner = this;
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 2000; i++)
            {
                await lockOwner.EnterAsync();
                int now = Interlocked.Increment(ref holders);
                InterlockedMax(ref maxHolders, now);
                total++; // not atomic on purpose: the lock is what keeps it exact
                Interlocked.Decrement(ref holders);
                lockOwner.Exit();
            }
        })).ToArray();

        await Task.WhenAll(workers);

        Assert.Equal(1, maxHolders);
        Assert.Equal(8 * 2000, total);
        Assert.Equal(0, _count);
    }

    private ValueTask EnterAsync() => HttpResponse.CountingLock.EnterAsync(ref _count, ref _waiters, CancellationToken.None);

    private void Exit() => HttpResponse.CountingLock.Exit(ref _count, ref _waiters);

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
