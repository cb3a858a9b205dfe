using LowBit.Reports.Writers;
using Spectre.Console;

namespace LowBit.Cli.Tests;

public class CliContextTests
{
    [Fact]
    public void MakeConsole_Redirected_NeverWrapsLines()
    {
        // 400 characters: wider than the 160 columns redirected output used to wrap at.
        string sentence = string.Join(" ", Enumerable.Range(0, 80).Select(i => $"w{i:000}"));
        var w = new StringWriter();
        CliContext.MakeConsole(w, terminal: false).MarkupLine(sentence);
        Assert.Equal(sentence, w.ToString().TrimEnd('\n', '\r'));
    }

    [Fact]
    public void MakeConsole_Redirected_RendersWideTablesWhole()
    {
        string name = "block" + new string('x', 250) + ".weight";
        var w = new StringWriter();
        var t = new Table().Border(TableBorder.Rounded).AddColumn("tensor").AddColumn("SQNR");
        t.AddRow(name, "42.0 dB");
        CliContext.MakeConsole(w, terminal: false).Write(t);
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(5, lines.Count);  // top border, header, separator, the one row, bottom border
        Assert.Contains(lines, l => l.Contains(name) && l.Contains("42.0 dB"));
        Assert.All(lines, l => Assert.Equal(lines[0].Length, l.Length));
    }

    [Fact]
    public void ReportTool_SaysTheVersionThatVersionPrints()
    {
        Assert.Equal("LowBit " + CliApp.Version, new Report().Tool);
        Assert.Equal($"lowbit {CliApp.Version}", CliHarness.Run("--version").Out.Trim());
    }
}
