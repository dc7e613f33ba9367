using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Rx.WebSockets.Tests.TestSupport;

namespace Rx.WebSockets.Tests.Architecture;

/// <summary>
/// STYLE.md §3.1: layers by namespace, arrows pointing down only. The table below is the rule as data; a file or
/// type that reaches a forbidden namespace fails the build's tests.
/// </summary>
public sealed class LayeringTests
{
    // Text that must not appear in a layer's source files (outside comments).
    private static readonly string[] s_noIo =
    {
        "System.Reactive", "System.IO.Pipelines", "System.Net.Sockets", "Microsoft.", "System.Threading.Tasks", "async ",
        "Task.Delay", "DateTime.Now", "DateTime.UtcNow", "Stopwatch.", "new Stopwatch(", "new Random(",
    };

    private static readonly Dictionary<string, string[]> s_forbiddenText = new()
    {
        ["Root"] = s_noIo.Concat(new[] { "Rx.WebSockets.Http", "Rx.WebSockets.Protocol", "Rx.WebSockets.Session", "Rx.WebSockets.Server", "Rx.WebSockets.Hosting" }).ToArray(),
        ["Internal"] = s_noIo.Concat(new[] { "Rx.WebSockets.Http", "Rx.WebSockets.Protocol", "Rx.WebSockets.Session", "Rx.WebSockets.Server", "Rx.WebSockets.Hosting" }).ToArray(),
        ["Http"] = s_noIo.Concat(new[] { "using Rx.WebSockets;", "Rx.WebSockets.Protocol", "Rx.WebSockets.Session", "Rx.WebSockets.Server", "Rx.WebSockets.Hosting" }).ToArray(),
        ["Protocol"] = s_noIo.Concat(new[] { "Rx.WebSockets.Session", "Rx.WebSockets.Server", "Rx.WebSockets.Hosting" }).ToArray(),
        ["Session"] = new[] { "System.Net.Sockets", "Microsoft.AspNetCore", "Microsoft.Extensions.Hosting", "Rx.WebSockets.Server", "Rx.WebSockets.Hosting", "Task.Delay", "DateTime.Now", "DateTime.UtcNow", "Stopwatch.", "new Stopwatch(", "new Random(" },
        ["Server"] = new[] { "Microsoft.AspNetCore", "Microsoft.Extensions.Hosting", "Rx.WebSockets.Hosting" },
        ["Hosting"] = Array.Empty<string>(),
    };

    // Namespaces whose types a layer's public and private signatures must not use (catches what nested namespaces
    // see without a using directive: Rx.WebSockets.Http code can name root types without importing them).
    private static readonly Dictionary<string, string[]> s_forbiddenTypes = new()
    {
        ["Root"] = new[] { "Rx.WebSockets.Http", "Rx.WebSockets.Protocol", "Rx.WebSockets.Session", "Rx.WebSockets.Server", "Rx.WebSockets.Hosting", "System.Reactive", "System.IO.Pipelines" },
        ["Http"] = new[] { "Rx.WebSockets", "Rx.WebSockets.Protocol", "Rx.WebSockets.Session", "Rx.WebSockets.Server", "Rx.WebSockets.Hosting", "System.Reactive", "System.IO.Pipelines" },
        ["Protocol"] = new[] { "Rx.WebSockets.Session", "Rx.WebSockets.Server", "Rx.WebSockets.Hosting", "System.Reactive", "System.IO.Pipelines", "System.Threading.Tasks" },
        ["Session"] = new[] { "Rx.WebSockets.Server", "Rx.WebSockets.Hosting", "System.Net.Sockets" },
    };

    public static TheoryData<string> SourceFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(LibraryRoot(), "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(LibraryRoot(), file).Replace('\\', '/');
            if (!relative.StartsWith("obj/", StringComparison.Ordinal) && !relative.StartsWith("bin/", StringComparison.Ordinal))
            {
                data.Add(relative);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SourceFiles))]
    public void SourceFile_UsesOnlyNamespacesItsLayerMayReference(string relativePath)
    {
        var layer = LayerOfFile(relativePath);
        var code = StripComments(File.ReadAllText(Path.Combine(LibraryRoot(), relativePath)));
        var violations = s_forbiddenText[layer].Where(code.Contains).ToList();
        Assert.True(violations.Count == 0, $"{relativePath} (layer {layer}) uses {string.Join(", ", violations)}");
    }

    [Fact]
    public void Types_SignaturesRespectLayers()
    {
        var violations = new List<string>();
        foreach (var type in typeof(Frame).Assembly.GetTypes())
        {
            var layer = LayerOfNamespace(type.Namespace);
            if (layer is null || !s_forbiddenTypes.TryGetValue(layer, out var forbidden) || type.IsDefined(typeof(CompilerGeneratedAttribute)))
            {
                continue;
            }

            foreach (var used in SignatureTypes(type))
            {
                var ns = used.Namespace ?? string.Empty;
                if (forbidden.Any(f => ns == f || (f != "Rx.WebSockets" && ns.StartsWith(f + ".", StringComparison.Ordinal))))
                {
                    violations.Add($"{type.FullName} ({layer}) uses {used.FullName}");
                }
            }
        }

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations.Distinct()));
    }

    [Fact]
    public void Table_CoversEveryFolderOfTheLibrary()
    {
        var folders = Directory.EnumerateDirectories(LibraryRoot())
            .Select(Path.GetFileName)
            .Where(f => f is not ("bin" or "obj" or "Properties"))
            .ToList();
        foreach (var folder in folders)
        {
            Assert.True(s_forbiddenText.ContainsKey(LayerOfFile(folder + "/x.cs")), $"folder {folder} has no layer rule");
        }
    }

    private static string LayerOfFile(string relativePath)
    {
        var slash = relativePath.IndexOf('/', StringComparison.Ordinal);
        var folder = slash < 0 ? string.Empty : relativePath[..slash];
        return folder switch
        {
            "" or "Exceptions" => "Root",
            "Internal" => "Internal",
            "Http" => "Http",
            "Protocol" => "Protocol",
            "Session" => "Session",
            "Server" => "Server",
            "Hosting" => "Hosting",
            _ => throw new InvalidOperationException($"No layer rule for folder '{folder}' (STYLE.md §3.1): add it to the table."),
        };
    }

    private static string? LayerOfNamespace(string? ns) => ns switch
    {
        "Rx.WebSockets" => "Root",
        _ when ns is null => null,
        _ when ns.StartsWith("Rx.WebSockets.Http", StringComparison.Ordinal) => "Http",
        _ when ns.StartsWith("Rx.WebSockets.Protocol", StringComparison.Ordinal) => "Protocol",
        _ when ns.StartsWith("Rx.WebSockets.Session", StringComparison.Ordinal) => "Session",
        _ => null,
    };

    private static IEnumerable<Type> SignatureTypes(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var roots = new List<Type>();
        if (type.BaseType is { } b)
        {
            roots.Add(b);
        }

        roots.AddRange(type.GetInterfaces());
        foreach (var f in type.GetFields(all))
        {
            roots.Add(f.FieldType);
        }

        foreach (var p in type.GetProperties(all))
        {
            roots.Add(p.PropertyType);
        }

        foreach (var m in type.GetMethods(all))
        {
            roots.Add(m.ReturnType);
            roots.AddRange(m.GetParameters().Select(p => p.ParameterType));
        }

        foreach (var c in type.GetConstructors(all))
        {
            roots.AddRange(c.GetParameters().Select(p => p.ParameterType));
        }

        return roots.SelectMany(Expand);
    }

    private static IEnumerable<Type> Expand(Type t)
    {
        if (t.HasElementType)
        {
            foreach (var e in Expand(t.GetElementType()!))
            {
                yield return e;
            }

            yield break;
        }

        if (t.IsGenericParameter)
        {
            yield break;
        }

        yield return t;
        if (t.IsGenericType)
        {
            foreach (var a in t.GetGenericArguments().SelectMany(Expand))
            {
                yield return a;
            }
        }
    }

    private static string StripComments(string code) =>
        Regex.Replace(code, @"//[^\n]*|/\*.*?\*/", string.Empty, RegexOptions.Singleline);

    private static string LibraryRoot() => RepositoryPaths.Library;
}
