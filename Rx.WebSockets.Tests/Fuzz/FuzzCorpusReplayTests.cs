using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rx.WebSockets.Fuzz.Targets;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Fuzz;

/// <summary>
/// Deterministic regression for the fuzz targets (fuzz/README.md): every committed corpus input and every saved
/// finding (fuzz/corpus/*/) goes through every target, uninstrumented. A target throws only when a parser breaks its
/// contract (RFC 6455 §5, RFC 7692 §7, RFC 9112, RFC 2046, RFC 9110 §14): a result, need-more-data, or its typed rejection.
/// </summary>
public class FuzzCorpusReplayTests
{
    private static readonly string s_corpusRoot = Path.Combine(RepositoryPaths.Root, "fuzz", "corpus");

    public static TheoryData<string> TargetNames()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in FuzzTargets.All)
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void Corpus_EveryTarget_HasSeedsAndNoStrayFolder()
    {
        var folders = Directory.GetDirectories(s_corpusRoot).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(FuzzTargets.All.Select(t => t.Name).Order(StringComparer.Ordinal).ToList(), folders);
        foreach (var folder in folders)
        {
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(s_corpusRoot, folder), "seed-*"));
        }
    }

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void Target_EveryCommittedInput_KeepsItsContract(string target)
    {
        var run = FuzzTargets.Find(target)!;
        var failures = new List<string>();
        var files = Directory.GetFiles(s_corpusRoot, "*", SearchOption.AllDirectories);
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            try
            {
                run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetRelativePath(s_corpusRoot, file)}: {e.GetType().Name}: {e.Message}");
            }
        }

        Assert.True(files.Length > 0, "no corpus files found");
        Assert.True(failures.Count == 0, $"{failures.Count} input(s) broke the '{target}' target:\n" + string.Join("\n", failures.Take(20)));
    }
}
