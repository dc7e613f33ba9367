using System.Collections.Generic;
using System.IO;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace Rx.WebSockets.Hosting.Internal;

/// <summary>
/// Watches files and folders and reports a change once they have been quiet for the debounce time (an editor's save
/// is several events: truncate, write, rename).
/// </summary>
/// <remarks>
/// The debounce timer is a <see cref="TimeProvider"/> timer, so tests move it with a fake clock. The callback runs on
/// the timer's thread (with a fake clock: inside <c>Advance</c>). Thread-safety: watcher events arrive on thread-pool
/// threads; the pending path is guarded by a lock.
/// </remarks>
internal sealed class ModuleWatcher : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = new();
    private readonly ITimer _debounce;
    private readonly TimeSpan _delay;
    private readonly Action<string> _onChange;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private string? _pending;
    private bool _disposed;

    public ModuleWatcher(IEnumerable<string> paths, TimeSpan delay, TimeProvider time, Action<string> onChange, ILogger logger)
    {
        _delay = delay;
        _onChange = onChange;
        _logger = logger;
        _debounce = time.CreateTimer(static s => ((ModuleWatcher)s!).OnQuiet(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path);
            FileSystemWatcher watcher;
            if (Directory.Exists(full))
            {
                watcher = new FileSystemWatcher(full) { IncludeSubdirectories = true };
            }
            else if (File.Exists(full))
            {
                watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full));
            }
            else
            {
                Log.WatchPathMissing(logger, full);
                continue;
            }

            watcher.NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size;
            watcher.Changed += OnEvent;
            watcher.Created += OnEvent;
            watcher.Deleted += OnEvent;
            watcher.Renamed += OnEvent;
            watcher.Error += (_, e) => Log.WatcherFailed(_logger, full, e.GetException());
            _watchers.Add(watcher);
        }
    }

    /// <summary>Starts raising events.</summary>
    public void Start()
    {
        foreach (var watcher in _watchers)
        {
            watcher.EnableRaisingEvents = true;
            Log.Watching(_logger, watcher.Path + (watcher.Filter is "" or "*" or "*.*" ? string.Empty : Path.DirectorySeparatorChar + watcher.Filter));
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _debounce.Dispose();
    }

    /// <summary>Records a change of <paramref name="path"/> and restarts the quiet period (what every watcher event does).</summary>
    internal void Notify(string path)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _pending = path;
            // Every event restarts the quiet period.
            _debounce.Change(_delay, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnEvent(object sender, FileSystemEventArgs e) => Notify(e.FullPath);

    private void OnQuiet()
    {
        string? path;
        lock (_gate)
        {
            path = _pending;
            _pending = null;
            if (_disposed || path is null)
            {
                return;
            }
        }

        _onChange(path);
    }
}
