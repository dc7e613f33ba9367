using BenchmarkDotNet.Running;

namespace Rx.WebSockets.Benchmarks;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release --project benchmarks/Rx.WebSockets.Benchmarks -- --filter '*' --job short</c>
/// (see benchmarks/README.md); <c>-- probe [operations]</c> runs <see cref="SessionEchoProbe"/> instead,
/// <c>-- plaintext-probe [batches]</c> runs <see cref="HttpPlaintextProbe"/>.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "probe")
        {
            SessionEchoProbe.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200);
            return;
        }

        if (args.Length > 0 && args[0] == "plaintext-probe")
        {
            HttpPlaintextProbe.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2000);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
