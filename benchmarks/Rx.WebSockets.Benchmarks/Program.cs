using BenchmarkDotNet.Running;

namespace Rx.WebSockets.Benchmarks;

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project benchmarks/Rx.WebSockets.Benchmarks -- --filter '*' --job short</c> (see benchmarks/README.md).</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
