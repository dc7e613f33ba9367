using System.Collections.Generic;
using System.Diagnostics.Tracing;

namespace Rx.WebSockets.Benchmarks;

/// <summary>Counts the runtime's GCAllocationTick samples (about one per 100 KB allocated) per type name: the probes' "what allocates".</summary>
internal sealed class AllocationListener : EventListener
{
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _samples = new();

    public Dictionary<string, int> Samples
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, int>(_samples);
            }
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick is verbose
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
        {
            return;
        }

        int index = eventData.PayloadNames.IndexOf("TypeName");
        string type = index >= 0 ? eventData.Payload![index] as string ?? "?" : "?";
        lock (_gate)
        {
            _samples[type] = _samples.GetValueOrDefault(type) + 1;
        }
    }
}
