using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace LowBit.Cli.Tuning;

/// <summary>
/// The learned cost model of <c>lowbit tune --strategy model</c>: gradient-boosted regression trees
/// (<c>Microsoft.ML.FastTree</c>, Friedman's MART) from config features (<see cref="TuneSpace.Features"/>) to measured
/// top-1. Small on purpose: tens of rows, so few shallow trees (20 of ≤ 4 leaves, shrinkage 0.3), leaves of ≥ 1 row, one
/// thread (deterministic). A fit costs milliseconds, against seconds to minutes for a trial.
/// </summary>
internal static class CostModel
{
    public const int Trees = 20;
    public const int Leaves = 4;

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    /// <summary>Fits on (<paramref name="x"/>, <paramref name="y"/>) and predicts <paramref name="candidates"/>.</summary>
    public static double[] FitPredict(float[][] x, float[] y, float[][] candidates, int seed)
    {
        int width = x[0].Length;
        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        var train = ml.Data.LoadFromEnumerable(x.Select((f, i) => new Row { Features = f, Label = y[i] }), schema);
        var trainer = ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
        {
            NumberOfTrees = Trees,
            NumberOfLeaves = Leaves,
            MinimumExampleCountPerLeaf = 1,
            LearningRate = 0.3,
            NumberOfThreads = 1,
        });
        var model = trainer.Fit(train);
        var test = ml.Data.LoadFromEnumerable(candidates.Select(f => new Row { Features = f }), schema);
        return model.Transform(test).GetColumn<float>("Score").Select(s => (double)s).ToArray();
    }
}
