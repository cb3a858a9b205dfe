using System.Globalization;
using System.Reflection;
using System.Text;
using LowBit.Quantization;

namespace LowBit.Tests;

/// <summary>
/// Snapshot of LowBit.dll's public surface (every public type and its public/protected members, with parameter defaults),
/// compared with the committed PublicApi.txt so that a change to the surface is a deliberate, reviewed diff.
/// To accept a change: <c>LOWBIT_UPDATE_API=1 dotnet test tests/LowBit.Tests --filter PublicApiTests</c>, then commit
/// tests/LowBit.Tests/PublicApi.txt.
/// </summary>
public class PublicApiTests
{
    private const string UpdateVariable = "LOWBIT_UPDATE_API";
    private static readonly string SnapshotPath = Path.Combine(RepoRoot(), "tests", "LowBit.Tests", "PublicApi.txt");

    [Fact]
    public void PublicApi_MatchesCommittedSnapshot()
    {
        string actual = Describe(typeof(Quantizer).Assembly);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(SnapshotPath, actual);
            return;
        }
        string expected = File.Exists(SnapshotPath) ? File.ReadAllText(SnapshotPath).Replace("\r\n", "\n") : "";
        if (expected == actual) return;
        var was = expected.Split('\n').ToHashSet(StringComparer.Ordinal);
        var now = actual.Split('\n').ToHashSet(StringComparer.Ordinal);
        var added = actual.Split('\n').Where(l => !was.Contains(l)).ToList();
        var removed = expected.Split('\n').Where(l => !now.Contains(l)).ToList();
        Assert.Fail($"LowBit's public API changed ({added.Count} lines added, {removed.Count} removed). If intended, run " +
            $"`{UpdateVariable}=1 dotnet test tests/LowBit.Tests --filter PublicApiTests` and commit tests/LowBit.Tests/PublicApi.txt.\n" +
            string.Join("\n", added.Take(20).Select(l => "+ " + l).Concat(removed.Take(20).Select(l => "- " + l))));
    }

    [Fact]
    public void Describe_ListsTypesMembersAndDefaults_Sorted()
    {
        string api = Describe(typeof(Quantizer).Assembly);
        Assert.Contains("public static class LowBit.Quantization.Quantizer", api);
        Assert.Contains("  method static LowBit.Quantization.QuantizedModel QuantizeFile(string inputPath, LowBit.Quantization.QuantizerConfig config, " +
            "System.Collections.Generic.IEnumerable<System.Collections.Generic.IReadOnlyDictionary<string, LowBit.Tensors.Tensor>> calibration = null", api);
        Assert.Contains("  value MinMax = 0", api);
        Assert.DoesNotContain("WithBatchDim", api);  // internal members stay out
        Assert.DoesNotContain("QuantizePipeline", api);  // internal types stay out
        Assert.Equal(api, Describe(typeof(Quantizer).Assembly));  // stable between runs
        Assert.True(api.IndexOf(" LowBit.Data.Assets", StringComparison.Ordinal) < api.IndexOf(" LowBit.Quantization.Quantizer", StringComparison.Ordinal));
    }

    /// <summary>One line per public type (kind, full name, base and interfaces), then its members indented, sorted.</summary>
    internal static string Describe(Assembly assembly)
    {
        var sb = new StringBuilder();
        foreach (var t in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            sb.Append(TypeLine(t)).Append('\n');
            foreach (var m in Members(t).Order(StringComparer.Ordinal)) sb.Append("  ").Append(m).Append('\n');
        }
        return sb.ToString();
    }

    private static string TypeLine(Type t)
    {
        string kind = t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? "struct"
            : typeof(Delegate).IsAssignableFrom(t) ? "delegate" : t.IsAbstract && t.IsSealed ? "static class"
            : t.IsAbstract ? "abstract class" : t.IsSealed ? "sealed class" : "class";
        var bases = new List<string>();
        if (t.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) && !typeof(Delegate).IsAssignableFrom(t))
            bases.Add(Name(b));
        bases.AddRange(t.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).Order(StringComparer.Ordinal));
        return $"public {kind} {Name(t)}" + (bases.Count > 0 ? " : " + string.Join(", ", bases) : "");
    }

    private static IEnumerable<string> Members(Type t)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (t.IsEnum)
        {
            foreach (var f in t.GetFields(BindingFlags.Public | BindingFlags.Static))
                yield return $"value {f.Name} = {Convert.ToString(f.GetRawConstantValue(), CultureInfo.InvariantCulture)}";
            yield break;
        }
        foreach (var c in t.GetConstructors(all).Where(Visible)) yield return $"ctor{Access(c)}({Params(c)})";
        foreach (var m in t.GetMethods(all).Where(m => Visible(m) && !m.IsSpecialName && !m.Name.StartsWith('<')))
            yield return $"method{Access(m)}{(m.IsStatic ? " static" : "")} {Name(m.ReturnType)} {m.Name}{Generics(m)}({Params(m)})";
        foreach (var p in t.GetProperties(all).Where(p => p.Name != "EqualityContract"))  // records' compiler-generated type check
        {
            var get = p.GetMethod is { } g && Visible(g) ? g : null;
            var set = p.SetMethod is { } s && Visible(s) ? s : null;
            if (get is null && set is null) continue;
            bool init = set?.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit") == true;
            string idx = p.GetIndexParameters() is { Length: > 0 } ip ? "[" + string.Join(", ", ip.Select(Param)) + "]" : "";
            yield return $"property{Access((get ?? set)!)}{((get ?? set)!.IsStatic ? " static" : "")} {Name(p.PropertyType)} {p.Name}{idx} {{ " +
                (get is null ? "" : "get; ") + (set is null ? "" : init ? "init; " : "set; ") + "}";
        }
        foreach (var f in t.GetFields(all).Where(f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly))
            yield return $"field{(f.IsFamily || f.IsFamilyOrAssembly ? " protected" : "")}{(f.IsLiteral ? " const" : f.IsStatic ? " static" : "")}" +
                $"{(f.IsInitOnly ? " readonly" : "")} {Name(f.FieldType)} {f.Name}" +
                (f.IsLiteral ? " = " + Literal(f.GetRawConstantValue()) : "");
        foreach (var e in t.GetEvents(all).Where(e => e.AddMethod is { } a && Visible(a)))
            yield return $"event {Name(e.EventHandlerType!)} {e.Name}";
    }

    private static bool Visible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;
    private static string Access(MethodBase m) => m.IsPublic ? "" : " protected";
    private static string Generics(MethodInfo m) => m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";
    private static string Params(MethodBase m) => string.Join(", ", m.GetParameters().Select(Param));

    private static string Param(ParameterInfo p)
    {
        string mod = p.IsOut ? "out " : p.ParameterType.IsByRef ? (p.IsIn ? "in " : "ref ") : p.IsDefined(typeof(ParamArrayAttribute)) ? "params " : "";
        return mod + Name(p.ParameterType) + " " + p.Name + (p.HasDefaultValue ? " = " + Literal(p.RawDefaultValue) : "");
    }

    private static string Literal(object? v) => v switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>C#-style names: keywords for primitives, <c>T?</c> for Nullable, generic arguments spelled out.</summary>
    internal static string Name(Type t)
    {
        if (t.IsByRef || t.IsPointer) return Name(t.GetElementType()!) + (t.IsPointer ? "*" : "");
        if (t.IsArray) return Name(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        if (t.IsGenericParameter) return t.Name;
        if (Nullable.GetUnderlyingType(t) is { } u) return Name(u) + "?";
        string? keyword = Type.GetTypeCode(t) switch
        {
            TypeCode.Boolean => "bool", TypeCode.Byte => "byte", TypeCode.SByte => "sbyte", TypeCode.Int16 => "short", TypeCode.UInt16 => "ushort",
            TypeCode.Int32 => "int", TypeCode.UInt32 => "uint", TypeCode.Int64 => "long", TypeCode.UInt64 => "ulong", TypeCode.Single => "float",
            TypeCode.Double => "double", TypeCode.Decimal => "decimal", TypeCode.Char => "char", TypeCode.String => "string",
            _ => t == typeof(object) ? "object" : t == typeof(void) ? "void" : null,
        };
        if (keyword is not null && !t.IsEnum) return keyword;
        string name = t.IsNested ? Name(t.DeclaringType!) + "." + t.Name : (t.Namespace is null ? "" : t.Namespace + ".") + t.Name;
        name = System.Text.RegularExpressions.Regex.Replace(name, @"`\d+", "");
        if (!t.IsGenericType) return name;
        var args = t.GetGenericArguments();
        if (t.IsNested) args = args[t.DeclaringType!.GetGenericArguments().Length..];
        return args.Length == 0 ? name : name + "<" + string.Join(", ", args.Select(Name)) + ">";
    }

    private static string RepoRoot() => typeof(PublicApiTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;
}
