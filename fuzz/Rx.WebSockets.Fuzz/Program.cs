using System.IO;
using Rx.WebSockets.Fuzz.Targets;
using SharpFuzz;

namespace Rx.WebSockets.Fuzz;

/// <summary>
/// Entry point. <c>Rx.WebSockets.Fuzz TARGET</c> runs under afl-fuzz (SharpFuzz out-of-process mode: a crash or hang
/// restarts only the child). <c>Rx.WebSockets.Fuzz TARGET FILE...</c> replays files once, without AFL, and exits 1 on
/// the first finding with its stack trace.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var target = args.Length > 0 ? FuzzTargets.Find(args[0]) : null;
        if (target is null)
        {
            Console.Error.WriteLine("usage: Rx.WebSockets.Fuzz TARGET [FILE...]   targets: " + string.Join(", ", TargetNames()));
            return 2;
        }

        if (args.Length > 1)
        {
            for (int i = 1; i < args.Length; i++)
            {
                try
                {
                    target(File.ReadAllBytes(args[i]));
                }
                catch (Exception e)
                {
                    Console.Error.WriteLine($"{args[i]}: {e}");
                    return 1;
                }
            }

            return 0;
        }

        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        });
        return 0;
    }

    private static string[] TargetNames()
    {
        var names = new string[FuzzTargets.All.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = FuzzTargets.All[i].Name;
        }

        return names;
    }
}
