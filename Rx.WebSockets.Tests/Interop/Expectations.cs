using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace Rx.WebSockets.Tests.Interop;

/// <summary>
/// The committed interop expectations (STYLE §1.6, tungstenite's expected-results pattern): expected-interop.json holds,
/// per peer, the outcome of every scenario. A test builds the actual outcome and fails on any difference, a regression
/// as well as an unexplained improvement, printing a per-scenario diff and the actual section to paste once the change
/// is understood. Keys starting with <c>$</c> are comments.
/// </summary>
/// <remarks>
/// Values: <c>true</c>/<c>false</c> for a scenario that passes or fails; what the peer observed where the value itself
/// matters (close codes and reasons as <c>{"code": N, "reason": "..."}</c>, negotiated extensions, HTTP statuses).
/// A scenario committed as <c>false</c> is a known gap: its test passes while the gap stays, and fails when it closes.
/// </remarks>
public static class Expectations
{
    private static readonly JsonSerializerOptions s_print = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly Lazy<JsonObject> s_file = new(Load);

    /// <summary>The committed file, without comment keys.</summary>
    public static JsonObject File => s_file.Value;

    /// <summary>The committed section of <paramref name="peer"/>.</summary>
    public static JsonObject Section(string peer)
    {
        var section = File[peer] as JsonObject;
        Assert.True(section is not null, $"{InteropPaths.Expectations} has no section \"{peer}\".");
        return section!;
    }

    /// <summary><c>{"code": N, "reason": "..."}</c>, or null for no reason.</summary>
    public static JsonNode? Close(CloseReason? reason) =>
        reason is null ? null : Close(reason.Code.Value, reason.Message);

    /// <summary><c>{"code": N, "reason": "..."}</c>.</summary>
    public static JsonObject Close(int code, string? reason) => new() { ["code"] = code, ["reason"] = reason };

    /// <summary>
    /// Runs one scenario of <paramref name="peer"/> and compares its outcome with the committed one. The scenario returns
    /// the observed value (<c>true</c> when it only checks); an exception makes the outcome <c>false</c>.
    /// </summary>
    public static async Task CheckScenarioAsync(string peer, Type testClass, string testMethod, ITestOutputHelper output, Func<Task<JsonNode?>> run)
    {
        string scenario = ScenarioOf(testClass, testMethod);
        JsonNode? actual;
        Exception? failure = null;
        try
        {
            actual = await run();
        }
        catch (Exception e)
        {
            failure = e;
            actual = JsonValue.Create(false);
        }

        var section = Section(peer);
        Assert.True(section.TryGetPropertyValue(scenario, out var expected), $"{InteropPaths.Expectations} has no \"{peer}\".\"{scenario}\"; actual: {Print(actual)}{Describe(failure)}");
        if (!JsonNode.DeepEquals(expected, actual))
        {
            Assert.Fail($"{peer} / {scenario}: expected {Print(expected)}, actual {Print(actual)}"
                + $"{Environment.NewLine}(a difference either way fails: update {InteropPaths.Expectations} only once the change is explained){Describe(failure)}");
        }

        output.WriteLine($"{peer} / {scenario}: {Print(actual)} as expected{(failure is null ? "" : " (known gap: " + failure.Message + ")")}");
    }

    /// <summary>Compares the whole section of <paramref name="peer"/> with <paramref name="actual"/>.</summary>
    public static void CheckSection(string peer, JsonObject actual, ITestOutputHelper output, string? context = null)
    {
        var expected = Section(peer);
        var diff = Diff(expected, actual);
        output.WriteLine($"{peer}: actual {Print(actual)}");
        if (diff.Count > 0)
        {
            Assert.Fail($"{peer}: {diff.Count} scenario(s) differ from {InteropPaths.Expectations}:{Environment.NewLine}"
                + string.Join(Environment.NewLine, diff)
                + $"{Environment.NewLine}actual section (a difference either way fails: paste it only once the change is explained):{Environment.NewLine}{Print(actual)}"
                + (context is null ? "" : Environment.NewLine + context));
        }
    }

    /// <summary>One line per scenario that differs: changed, missing from the actual results, or not in the file.</summary>
    public static List<string> Diff(JsonObject expected, JsonObject actual)
    {
        var lines = new List<string>();
        foreach (var (key, value) in expected)
        {
            if (!actual.TryGetPropertyValue(key, out var got))
            {
                lines.Add($"  - {key}: expected {Print(value)}, not reported");
            }
            else if (!JsonNode.DeepEquals(value, got))
            {
                lines.Add($"  ~ {key}: expected {Print(value)}, actual {Print(got)}");
            }
        }

        foreach (var (key, value) in actual.Where(p => !expected.ContainsKey(p.Key)))
        {
            lines.Add($"  + {key}: actual {Print(value)}, not in the file");
        }

        return lines;
    }

    /// <summary>The scenario keys the <see cref="ScenarioAttribute"/>s of <paramref name="testClass"/> name.</summary>
    public static IEnumerable<string> ScenariosOf(Type testClass) =>
        testClass.GetMethods().Select(m => m.GetCustomAttribute<ScenarioAttribute>()?.Name).OfType<string>();

    /// <summary>Compact JSON for messages.</summary>
    public static string Print(JsonNode? node) =>
        node is null ? "null" : node.ToJsonString(s_print);

    private static string ScenarioOf(Type testClass, string testMethod)
    {
        var attribute = testClass.GetMethod(testMethod)?.GetCustomAttribute<ScenarioAttribute>();
        Assert.True(attribute is not null, $"{testClass.Name}.{testMethod} has no [Scenario].");
        return attribute!.Name;
    }

    private static string Describe(Exception? failure) =>
        failure is null ? "" : $"{Environment.NewLine}scenario failure: {failure}";

    private static JsonObject Load()
    {
        var node = JsonNode.Parse(System.IO.File.ReadAllText(InteropPaths.Expectations, Encoding.UTF8));
        Assert.True(node is JsonObject, $"{InteropPaths.Expectations} is not a JSON object.");
        return Strip((JsonObject)node!);
    }

    private static JsonObject Strip(JsonObject section)
    {
        foreach (string key in section.Select(p => p.Key).Where(k => k.StartsWith('$')).ToList())
        {
            section.Remove(key);
        }

        foreach (var child in section.Select(p => p.Value).OfType<JsonObject>().ToList())
        {
            Strip(child);
        }

        return section;
    }
}

/// <summary>Names the scenario (the key in expected-interop.json) a test method checks.</summary>
/// <param name="name">The scenario's key in the peer's section.</param>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ScenarioAttribute(string name) : Attribute
{
    /// <summary>The scenario's key in the peer's section.</summary>
    public string Name { get; } = name;
}
