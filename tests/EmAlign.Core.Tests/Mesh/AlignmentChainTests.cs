using EmAlign.Geometry;
using EmAlign.Maps;
using EmAlign.Mesh;

namespace EmAlign.Tests.Mesh;

/// <summary>The sequential and block-parallel chains (spec §4.8, §4.9, §6.4, §6.6).</summary>
public class AlignmentChainTests
{
    private const int Nodes = 12;

    /// <summary>Flows saying "section z's content sits at p + (fx, fy) in section z − 1", everywhere.</summary>
    private static CoordinateMap ConstantFlows(int sections, float fx, float fy)
    {
        var flows = new CoordinateMap(Box3.FromSize(Nodes, Nodes, sections), 40, 40);
        for (int z = 1; z < sections; z++)
        {
            flows.Dx(z).Fill(fx);
            flows.Dy(z).Fill(fy);
        }
        return flows;
    }

    private static void AssertUniform(CoordinateMap map, int z, double x, double y, double tolerance)
    {
        foreach (var v in map.Dx(z).ToArray()) Assert.True(Math.Abs(v - x) <= tolerance, $"section {z}: dx {v}, expected {x}");
        foreach (var v in map.Dy(z).ToArray()) Assert.True(Math.Abs(v - y) <= tolerance, $"section {z}: dy {v}, expected {y}");
    }

    [Fact]
    public void SequentialChainAccumulatesUniformFlows()
    {
        var flows = ConstantFlows(6, 3, -2);
        // A hole in one flow: those nodes follow their neighbours.
        for (int i = 4; i < 7; i++)
            for (int j = 4; j < 7; j++)
            {
                flows.Dx(3)[i * Nodes + j] = float.NaN;
                flows.Dy(3)[i * Nodes + j] = float.NaN;
            }
        var result = AlignmentChain.SolveSequential(flows, IntegrationConfig.Em2d);
        Assert.Equal(flows.Box, result.Solved.Box);
        Assert.Equal(MeshSolveStatus.Undefined, result.Sections[0].Status);
        AssertUniform(result.Solved, 0, 0, 0, 0);
        for (int z = 1; z < 6; z++)
        {
            Assert.Equal(MeshSolveStatus.Regular, result.Sections[z].Status);
            Assert.True(result.Sections[z].Steps > 0);
            AssertUniform(result.Solved, z, 3 * z, -2 * z, 0.1);
        }
    }

    [Fact]
    public void TargetsFollowTheAlignedReference()
    {
        // Section 2's flow points at a location section 1 moved away from: the target composes both.
        var flows = ConstantFlows(3, 0, 0);
        flows.Dx(1).Fill(40); // section 1 content is one node to the right in section 0
        flows.Dy(2).Fill(-20);
        var result = AlignmentChain.SolveSequential(flows, IntegrationConfig.Em2d);
        AssertUniform(result.Solved, 1, 40, 0, 0.1);
        // Nodes whose match p + (0, −20) lies on the grid get 40 + (0, −20); the top row clamps to the edge displacement.
        AssertUniform(result.Solved, 2, 40, -20, 0.1);
    }

    [Fact]
    public void SectionWithoutFlowKeepsItsPredecessor()
    {
        var flows = ConstantFlows(4, 2, 1);
        Array.Fill(flows.Data, float.NaN, flows.Offset(0, 2), flows.PlaneLength);
        Array.Fill(flows.Data, float.NaN, flows.Offset(1, 2), flows.PlaneLength);
        var result = AlignmentChain.SolveSequential(flows, IntegrationConfig.Em2d);
        Assert.Equal(MeshSolveStatus.Undefined, result.Sections[2].Status);
        AssertUniform(result.Solved, 2, 2, 1, 0.1);
        AssertUniform(result.Solved, 3, 4, 2, 0.1);
    }

    [Fact]
    public void SeveralFlowsAreAveraged()
    {
        // Δz = 1 says +2 per section; Δz = 2 says +6 over two sections (inconsistent): the mean pull wins.
        var near = ConstantFlows(3, 2, 0);
        var far = ConstantFlows(3, 0, 0);
        far.Dx(2).Fill(6);
        var result = AlignmentChain.SolveSequential([new ChainFlow(1, near), new ChainFlow(2, far)], IntegrationConfig.Em2d);
        AssertUniform(result.Solved, 1, 2, 0, 0.1);
        AssertUniform(result.Solved, 2, (4 + 6) / 2.0, 0, 0.1);
    }

    [Fact]
    public void BlockParallelChainMatchesSequentialOnUniformFlows()
    {
        var flows = ConstantFlows(11, 1.5f, -1);
        var crossBlock = IntegrationConfig.Em2d with { K0 = 0.001, StrideX = 80, StrideY = 80, StopVMax = 0.001 };
        var blocks = AlignmentChain.SolveBlocks(flows, IntegrationConfig.Em2d, crossBlock, 4);
        Assert.Equal(11, blocks.Sections.Count);
        for (int z = 0; z < 11; z++) AssertUniform(blocks.Solved, z, 1.5 * z, -z, 0.15);
        // Block starts (4, 8) are relaxed inside the block before them.
        Assert.Equal(MeshSolveStatus.Regular, blocks.Sections[4].Status);
    }

    [Fact]
    public void BlockParallelChainRampsTheCrossBlockCorrection()
    {
        // Each block's end, as solved inside the block, is moved to the cross-block position; sections in
        // between take a linear share of that correction, so the result stays close to the sequential one.
        var flows = ConstantFlows(9, 0, 0);
        var random = new Random(3);
        for (int z = 1; z < 9; z++)
        {
            float bx = (float)(random.NextDouble() * 4 - 2), by = (float)(random.NextDouble() * 4 - 2);
            for (int i = 0; i < Nodes; i++)
                for (int j = 0; j < Nodes; j++)
                {
                    flows.Dx(z)[i * Nodes + j] = bx + 0.05f * i;
                    flows.Dy(z)[i * Nodes + j] = by - 0.04f * j;
                }
        }
        var sequential = AlignmentChain.SolveSequential(flows, IntegrationConfig.Em2d);
        var crossBlock = IntegrationConfig.Em2d with { K0 = 0.001, StrideX = 80, StrideY = 80, StopVMax = 0.001 };
        var blocks = AlignmentChain.SolveBlocks(flows, IntegrationConfig.Em2d, crossBlock, 4);
        for (int z = 0; z < 9; z++)
            for (int k = 0; k < sequential.Solved.PlaneLength; k++)
            {
                Assert.Equal(sequential.Solved.Dx(z)[k], blocks.Solved.Dx(z)[k], 0.5);
                Assert.Equal(sequential.Solved.Dy(z)[k], blocks.Solved.Dy(z)[k], 0.5);
            }
    }

    [Fact]
    public void IrregularTargetsAreMaskedBeforeRelaxing()
    {
        // One wild flow vector would fold the mesh; the regularity check drops it and its neighbourhood.
        var target = CoordinateMap.Filled(Box3.FromSize(Nodes, Nodes, 1), 40, 40, 5);
        target.Dx(0)[6 * Nodes + 6] = 95;
        var (solution, report) = AlignmentChain.SolveSection(target, IntegrationConfig.Em2d);
        Assert.Equal(MeshSolveStatus.Regular, report.Status);
        AssertUniform(solution, 0, 5, 5, 0.1);
        var (unchecked_, _) = AlignmentChain.SolveSection(target, IntegrationConfig.Em2d with { MaxIters = 30000 }, new ChainOptions { CheckRegularity = false });
        Assert.True(unchecked_.Dx(0)[6 * Nodes + 6] > 5.5);
    }
}
