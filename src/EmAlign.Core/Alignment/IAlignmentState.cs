namespace EmAlign.Alignment;

/// <summary>
/// An intermediate result of an elastic alignment that can be saved and loaded again (<see cref="AlignmentStore"/>):
/// a <see cref="FlowFieldSet"/> or a <see cref="MeshSolution"/>. Both work on a <see cref="StackRegion"/> of a source volume.
/// </summary>
public interface IAlignmentState
{
    /// <summary>The level and region of the source volume the result belongs to.</summary>
    StackRegion Region { get; }

    /// <summary>The path that opens the source volume again.</summary>
    string SourcePath { get; }

    /// <summary>Sections in the region (z size).</summary>
    int Sections { get; }
}
