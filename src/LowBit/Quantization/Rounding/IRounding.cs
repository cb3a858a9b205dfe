namespace LowBit.Quantization.Rounding;

/// <summary>
/// Picks, for each value between two grid neighbours, one of them (DESIGN.md §3: rounding picks codes). Values are grid
/// coordinates: for integer grids the value divided by the scale; for non-uniform grids a fractional grid index, where the
/// nearest neighbour is still the one nearer in index. AdaRound (Nagel et al. 2020, arXiv:2004.10568) plugs in here with a
/// learned up/down choice per element.
/// </summary>
public interface IRounding
{
    /// <summary>Writes <c>result[i] ∈ {⌊t[i]⌋, ⌈t[i]⌉}</c>. <paramref name="firstIndex"/> is the flat tensor index of
    /// <c>t[0]</c>. Callers pass values already clamped to the grid's coordinate range; NaN (from NaN inputs) must give 0.</summary>
    void Round(ReadOnlySpan<float> t, Span<int> result, int firstIndex);
}
