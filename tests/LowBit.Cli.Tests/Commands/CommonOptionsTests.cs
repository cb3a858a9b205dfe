namespace LowBit.Cli.Tests.Commands;

/// <summary>Numbers on the command line that are not numbers, or do not fit: one-line usage errors (exit 2) naming the
/// flag and the value, never "internal error" (exit 70).</summary>
public class CommonOptionsTests
{
    private static void AssertUsage(CliResult r, params string[] mentions)
    {
        Assert.Equal(2, r.Code);
        Assert.Equal("", r.Out);
        var line = Assert.Single(r.ErrLines);
        Assert.StartsWith("error: ", line);
        Assert.DoesNotContain("internal error", line);
        foreach (var m in mentions) Assert.Contains(m, line);
    }

    [Theory]
    [InlineData("abc", "not a whole number")]
    [InlineData("9999999999", "too large")]
    [InlineData("5000", "at most 1024")]
    [InlineData("0", "at least 1")]
    [InlineData("-3", "at least 1")]
    public void Threads_BadValue_ExitsUsage2NamingIt(string value, string why)
    {
        AssertUsage(CliHarness.Run("run", "m.onnx", "--threads", value), "--threads " + value, why);
        AssertUsage(CliHarness.Run("quantize", "m.onnx", "--out", "q.onnx", "--threads", value), "--threads " + value, why);
    }

    [Theory]
    [InlineData("999999999999", "too large")]
    [InlineData("lots", "not a whole number")]
    [InlineData("0", "at least 1")]
    public void CalibSamples_BadValue_ExitsUsage2(string value, string why) =>
        AssertUsage(CliHarness.Run("quantize", "m.onnx", "--out", "q.onnx", "--calib-samples", value), "--calib-samples " + value, why);

    [Theory]
    [InlineData("bench", "--seconds", "abc", "not a finite number")]
    [InlineData("bench", "--seconds", "0", "greater than 0")]
    [InlineData("bench", "--warmup", "1e3", "not a whole number")]
    [InlineData("demo", "--bench-seconds", "NaN", "not a finite number")]
    [InlineData("demo", "--calib-samples", "1000", "at most 999")]
    [InlineData("quantize", "--bench-seconds", "-1", "at least 0")]
    public void Numbers_BadValue_ExitUsage2(string command, string flag, string value, string why)
    {
        string[] args = command switch
        {
            "bench" => ["bench", "m.onnx", flag, value],
            "quantize" => ["quantize", "m.onnx", "--out", "q.onnx", flag, value],
            _ => [command, flag, value],
        };
        AssertUsage(CliHarness.Run(args), $"{flag} {value}", why);
    }

    [Fact]
    public void Threads_Omitted_DefaultsToAllCores()
    {
        var r = CliHarness.Run("run", "/nonexistent/m.onnx", "--random");
        Assert.Equal(3, r.Code);  // parsing succeeded with the default; the missing model is the error
    }
}
