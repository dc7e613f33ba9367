using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.IO.Pipelines;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Rx.WebSockets.Benchmarks;

/// <summary>
/// A profile of <see cref="SessionEchoBenchmarks.PumpToSession"/> without BenchmarkDotNet: messages per second over the
/// whole run (wall clock, so as loaded as the machine is), bytes allocated per message
/// (all threads), the server session's pipe reads and flushes per message, and the types behind the allocations, sampled
/// from the runtime's GCAllocationTick events (one sample about every 100 KB allocated; the sampling is biased by how the
/// runtime refills allocation contexts, so the counts name the types but do not weigh them). Run: <c>dotnet run -c Release --project benchmarks/Rx.WebSockets.Benchmarks -- probe [operations]</c>.
/// </summary>
internal static class SessionEchoProbe
{
    public static void Run(int operations)
    {
        foreach (var message in new[] { EchoMessage.Text32B, EchoMessage.Binary16KiB })
        {
            var benchmark = new SessionEchoBenchmarks { Message = message };
            CountingDuplexPipe? counting = null;
            benchmark.ServerTransportWrapper = end => counting = new CountingDuplexPipe(end);
            benchmark.SetupPumpToSession();
            for (int i = 0; i < 20; i++)
            {
                benchmark.PumpToSession().GetAwaiter().GetResult(); // warm-up: tiering, pools
            }

            long reads = counting!.Reads, flushes = counting.Flushes;
            long before = GC.GetTotalAllocatedBytes(precise: true);
            long started = Stopwatch.GetTimestamp();
            for (int i = 0; i < operations; i++)
            {
                benchmark.PumpToSession().GetAwaiter().GetResult();
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            double messages = (double)operations * SessionEchoBenchmarks.Messages;
            Console.WriteLine(
                $"{message}: {messages / elapsed.TotalSeconds:F0} msgs/s; {allocated / messages:F1} B allocated per message; " +
                $"server reads {(counting.Reads - reads) / messages:F3}, flushes {(counting.Flushes - flushes) / messages:F3} per message");

            // A second pass for the types: the listener allocates for each event it receives, so it stays out of the figure above.
            using (var listener = new AllocationListener())
            {
                for (int i = 0; i < operations; i++)
                {
                    benchmark.PumpToSession().GetAwaiter().GetResult();
                }

                foreach (var (type, count) in listener.Samples.OrderByDescending(p => p.Value).Take(12).Select(p => (p.Key, p.Value)))
                {
                    Console.WriteLine($"  {count,6} samples  {type}");
                }
            }

            benchmark.Cleanup();
        }
    }

    private sealed class CountingDuplexPipe : IDuplexPipe
    {
        private long _reads;
        private long _flushes;

        public CountingDuplexPipe(IDuplexPipe inner)
        {
            Input = new CountingReader(inner.Input, this);
            Output = new CountingWriter(inner.Output, this);
        }

        public PipeReader Input { get; }

        public PipeWriter Output { get; }

        public long Reads => Interlocked.Read(ref _reads);

        public long Flushes => Interlocked.Read(ref _flushes);

        private sealed class CountingReader(PipeReader inner, CountingDuplexPipe owner) : PipeReader
        {
            public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

            public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

            public override void CancelPendingRead() => inner.CancelPendingRead();

            public override void Complete(Exception? exception = null) => inner.Complete(exception);

            public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
            {
                Interlocked.Increment(ref owner._reads);
                return inner.ReadAsync(cancellationToken);
            }

            public override bool TryRead(out ReadResult result) => inner.TryRead(out result);
        }

        private sealed class CountingWriter(PipeWriter inner, CountingDuplexPipe owner) : PipeWriter
        {
            public override void Advance(int bytes) => inner.Advance(bytes);

            public override void CancelPendingFlush() => inner.CancelPendingFlush();

            public override void Complete(Exception? exception = null) => inner.Complete(exception);

            public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
            {
                Interlocked.Increment(ref owner._flushes);
                return inner.FlushAsync(cancellationToken);
            }

            public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

            public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
        }
    }
}
