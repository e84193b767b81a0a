using EmAlign.Flow;
using EmAlign.Numerics;

namespace EmAlign.Tests.Flow;

/// <summary>Ports of SOFIMA processor/flow_test.py (spec 7.7) and the stack helpers.</summary>
public class FlowStackTests
{
    private static Image2D<float>[] RandomStack(int count, int size, int seed)
    {
        var rng = new Random(seed);
        var stack = new Image2D<float>[count];
        for (int z = 0; z < count; z++)
        {
            stack[z] = new Image2D<float>(size, size);
            for (int i = 0; i < size * size; i++) stack[z].Data[i] = (float)rng.NextDouble();
        }
        return stack;
    }

    /// <summary>Section 5 = section 3 shifted by +2 in x and +3 in y (fresh random border).</summary>
    private static Image2D<float>[] ShiftedStack()
    {
        var stack = RandomStack(10, 128, 11);
        for (int y = 3; y < 128; y++)
            for (int x = 2; x < 128; x++) stack[5][y, x] = stack[3][y - 3, x - 2];
        return stack;
    }

    private static readonly MissingFlowOptions TestOptions = new()
    {
        PatchSize = 16, Stride = 16, SearchRadius = 16, DeltaZ = 1, MaxDeltaZ = 2, MaxAttempts = 1,
        MinPeakRatio = 0, MinPeakSharpness = 0, MaxMagnitude = 0,
    };

    private static FlowField?[] AllInvalid(Image2D<float>[] stack, int patch, int stride)
    {
        // Node grid of 16 / 16 patches on 128 px: origin 8, 8 nodes.
        var flows = new FlowField?[stack.Length];
        for (int z = 0; z < stack.Length; z++) flows[z] = FlowField.CreateInvalid(8, 8, stride, FlowLayout.Vectors, patch / 2 % stride, patch / 2 % stride, patch);
        return flows;
    }

    [Fact]
    public void MissingFlowIsFilledByLookingFurtherBack()
    {
        // 7.7-1: flow box nodes x, y in 2..3 at z = 5.
        var stack = ShiftedStack();
        var result = FlowStack.EstimateMissing(stack, AllInvalid(stack, 16, 16), TestOptions);
        var f = result[5]!;
        Assert.Equal(FlowLayout.VectorsDeltaZ, f.Layout);
        for (int y = 2; y <= 3; y++)
            for (int x = 2; x <= 3; x++)
            {
                Assert.Equal(2f, f[2, y, x]);
                Assert.Equal(-2f, f[0, y, x], 0.5f);
                Assert.Equal(-3f, f[1, y, x], 0.5f);
            }
    }

    [Fact]
    public void MissingFlowStaysInvalidWithoutAReachableReference()
    {
        // 7.7-2: at z = 1 every dz = 2..5 points before section 0.
        var stack = ShiftedStack();
        var result = FlowStack.EstimateMissing(stack, AllInvalid(stack, 16, 16), TestOptions with { MaxDeltaZ = 5 });
        var f = result[1]!;
        for (int i = 0; i < f.NodeCount; i++)
        {
            Assert.True(float.IsNaN(f.Data[i]) && float.IsNaN(f.Data[f.NodeCount + i]));
            Assert.Equal(1f, f.Data[2 * f.NodeCount + i]);
        }
    }

    [Fact]
    public void StackFlowsPointToThePredecessorAndFallBackPastADamagedSection()
    {
        // Sections: a random base image shifted by a known amount per section; section 2 is blank (damaged).
        var rng = new Random(5);
        var baseImg = new Image2D<float>(200, 200);
        for (int i = 0; i < baseImg.Data.Length; i++) baseImg.Data[i] = (float)rng.NextDouble();
        int[] sx = [0, 3, 5, 8], sy = [0, -2, -1, 1];
        var stack = new Image2D<float>[4];
        for (int z = 0; z < 4; z++)
        {
            stack[z] = new Image2D<float>(200, 200);
            for (int y = 0; y < 200; y++)
                for (int x = 0; x < 200; x++)
                {
                    int ux = Math.Clamp(x - sx[z], 0, 199), uy = Math.Clamp(y - sy[z], 0, 199);
                    stack[z][y, x] = z == 2 ? 0.5f : baseImg[uy, ux];
                }
        }
        var options = new FlowOptions { PatchSize = 40, Stride = 20 };
        var flows = FlowStack.EstimateFlows(stack, options);
        Assert.Null(flows[0]);
        // Section z content at p is base(p - s_z); in z-1 it sits at p - s_z + s_{z-1}: flow = s_{z-1} - s_z.
        var f1 = flows[1]!;
        Assert.Equal(0, f1.OriginX);
        Assert.Equal(10, f1.Width);
        Assert.Equal(-3f, f1[0, 4, 4]);
        Assert.Equal(2f, f1[1, 4, 4]);
        Assert.True(float.IsNaN(f1[0, 0, 0])); // node 0 has no full patch
        Assert.Equal(0, flows[3]!.ValidCount); // the reference (section 2) is blank

        var cleaned = flows.Select(f => f is null ? null : FlowCleaner.Clean(f, new FlowCleanOptions { MaxDeviation = 0 })).ToArray();
        var filled = FlowStack.EstimateMissing(stack, cleaned, new MissingFlowOptions { PatchSize = 40, Stride = 20, MaxDeltaZ = 3 });
        var f3 = filled[3]!;
        Assert.Equal(2f, f3[2, 4, 4]);
        Assert.Equal(sx[1] - sx[3], f3[0, 4, 4]);
        Assert.Equal(sy[1] - sy[3], f3[1, 4, 4]);
        Assert.Equal(1f, filled[1]![2, 4, 4]);
        Assert.Equal(-3f, filled[1]![0, 4, 4]);
    }
}
