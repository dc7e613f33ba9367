using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rx.WebSockets.Tests.TestSupport;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>Where the interop suite's files live in the repository.</summary>
public static class InteropPaths
{
    /// <summary>Rx.WebSockets.Tests/Interop.</summary>
    public static string Folder { get; } = Path.Combine(RepositoryPaths.Root, "Rx.WebSockets.Tests", "Interop");

    /// <summary>Rx.WebSockets.Tests/Interop/peers: the peers' scripts and pages.</summary>
    public static string Peers { get; } = Path.Combine(Folder, "peers");

    /// <summary>The committed expectations.</summary>
    public static string Expectations { get; } = Path.Combine(Folder, "expected-interop.json");
}

/// <summary>What a peer process did.</summary>
/// <param name="ExitCode">Its exit code (-1 when it was killed before it exited).</param>
/// <param name="Stdout">Its standard output.</param>
/// <param name="Stderr">Its standard error.</param>
/// <param name="Elapsed">From start to exit (or kill).</param>
public sealed record PeerResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    /// <summary>The output for a failure message.</summary>
    public override string ToString() =>
        $"exit code {ExitCode} after {Elapsed.TotalSeconds:0.00} s{Environment.NewLine}stdout:{Environment.NewLine}{Stdout}{Environment.NewLine}stderr:{Environment.NewLine}{Stderr}";
}

/// <summary>
/// A real peer run as a child process (interop-notes "Process hygiene"): <see cref="ProcessStartInfo.ArgumentList"/>,
/// stdin closed, stdout and stderr read asynchronously, a per-peer timeout after which the whole process tree is killed.
/// A missing binary fails the test with the command that installs it: the suite never skips a peer.
/// </summary>
public sealed class PeerProcess : IAsyncDisposable
{
    /// <summary>Installs every peer and tool the suite drives.</summary>
    public const string InstallHint = "run scripts/install-test-deps.sh (as root) to install the interop peers";

    // After the process is gone, its output pipes close unless a grandchild that escaped the kill still holds them.
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Task _exited = Task.CompletedTask;
    private readonly ITestOutputHelper _output;
    private readonly string _name;

    private PeerProcess(Process process, string name, ITestOutputHelper output)
    {
        _process = process;
        _name = name;
        _output = output;
    }

    /// <summary>Completes when the process has exited.</summary>
    public Task Exited => _exited;

    /// <summary>
    /// Finds <paramref name="program"/>: an absolute path must exist; a bare name is looked up on PATH. Fails the test
    /// (never skips it) when the peer is not installed.
    /// </summary>
    public static string Require(string program)
    {
        if (Path.IsPathRooted(program))
        {
            Assert.True(File.Exists(program), $"{program} is missing: {InstallHint}.");
            return program;
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"'{program}' is not on PATH: {InstallHint}.");
        return program;
    }

    /// <summary>Fails the test with <see cref="InstallHint"/> when <paramref name="path"/> does not exist.</summary>
    public static void RequireFile(string path, string what)
    {
        Assert.True(File.Exists(path), $"{what} ({path}) is missing: {InstallHint}.");
    }

    /// <summary>Starts <paramref name="program"/> with <paramref name="arguments"/>.</summary>
    public static PeerProcess Start(string program, IEnumerable<string> arguments, ITestOutputHelper output, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(Require(program))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? RepositoryPaths.Root,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var peer = new PeerProcess(process, Path.GetFileName(program) + " " + string.Join(' ', arguments), output);
        process.OutputDataReceived += (_, e) => Append(peer._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(peer._stderr, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        peer._exited = process.WaitForExitAsync();
        output.WriteLine($"started: {peer._name}");
        return peer;
    }

    /// <summary>Runs <paramref name="program"/> to its end; kills it and throws when it outlives <paramref name="timeout"/>.</summary>
    public static async Task<PeerResult> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, ITestOutputHelper output, string? workingDirectory = null)
    {
        await using var peer = Start(program, arguments, output, workingDirectory);
        return await peer.WaitForExitAsync(timeout);
    }

    /// <summary>Waits for the process to exit; kills its tree and throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<PeerResult> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            // The token overload also waits for the end of the redirected output.
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            var result = await KillAsync();
            throw new TimeoutException($"{_name} did not finish within {timeout.TotalSeconds:0} s and was killed; {result}");
        }

        return Log(Snapshot(_process.ExitCode));
    }

    /// <summary>Kills the process tree (when still running) and returns what it printed.</summary>
    public async Task<PeerResult> KillAsync()
    {
        bool killed = false;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                killed = true;
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }

        using var drain = new CancellationTokenSource(s_drainTimeout);
        try
        {
            await _process.WaitForExitAsync(drain.Token);
        }
        catch (OperationCanceledException)
        {
            _output.WriteLine($"{_name}: output still open {s_drainTimeout.TotalSeconds:0} s after the kill");
        }

        return Log(Snapshot(killed || !_process.HasExited ? -1 : _process.ExitCode));
    }

    /// <summary>Kills the process tree if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_exited.IsCompleted)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (text)
        {
            text.AppendLine(line);
        }
    }

    private PeerResult Snapshot(int exitCode)
    {
        string stdout, stderr;
        lock (_stdout)
        {
            stdout = _stdout.ToString();
        }

        lock (_stderr)
        {
            stderr = _stderr.ToString();
        }

        return new PeerResult(exitCode, stdout, stderr, _clock.Elapsed);
    }

    private PeerResult Log(PeerResult result)
    {
        _output.WriteLine($"{_name}: {result}");
        return result;
    }
}
