using System.IO;

namespace Rx.WebSockets.Tests.TestSupport;

/// <summary>Finds the repository's folders from the test binaries, wherever the clone lives.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder that holds Rx.WebSockets.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The library's source folder.</summary>
    public static string Library => Path.Combine(Root, "Rx.WebSockets");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rx.WebSockets.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Rx.WebSockets.sln not found above {AppContext.BaseDirectory}.");
    }
}
