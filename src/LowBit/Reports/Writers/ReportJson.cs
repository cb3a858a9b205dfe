using System.Text.Json;
using System.Text.Json.Serialization;

namespace LowBit.Reports.Writers;

/// <summary>
/// <see cref="Report"/> ⇄ JSON: camelCase, indented, nulls omitted. SQNR is +∞ for an exact match and −∞ for a zero
/// reference (<see cref="Metrics.ErrorStats.SqnrDb"/>); JSON has no such numbers, so non-finite values are written as
/// the strings "Infinity", "-Infinity" and "NaN" (System.Text.Json's named literals) and read back as numbers.
/// </summary>
internal static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Write(Report r) => JsonSerializer.Serialize(r, Options);

    public static Report Read(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<Report>(json, Options)
                ?? throw new LowBitException(ErrorKind.InvalidInput, $"{source}: empty report");
        }
        catch (JsonException e)
        {
            throw new LowBitException(ErrorKind.InvalidInput, $"{source}: not a LowBit report ({e.Message.Split(" Path:")[0]})");
        }
    }
}
