using EmAlign.Diagnostics;

namespace EmAlign.Transforms;

/// <summary>
/// A stack of transforms [T1, T2, ..., Tn], each mapping FIXED toward MOVING physical coordinates (x, y, z, in
/// <see cref="SpatialTransform.Unit"/>). As in bigstream, a fixed point goes through the LAST one first:
/// T(p) = T1(T2(...Tn(p))). A typical chain is [global affine, local affines]: the local part was learned on the
/// moving volume after the global affine had been applied, so it acts first. Applying a chain resamples once.
/// All members are converted to the first member's unit. Nested chains are flattened.
/// </summary>
public sealed class TransformChain : SpatialTransform
{
    private readonly SpatialTransform[] _items;

    public TransformChain(IEnumerable<SpatialTransform> transforms) : this(Flatten(transforms)) { }

    private TransformChain(SpatialTransform[] items) : base(items.Length > 0 ? items[0].Unit
        : throw new EmAlignException("A transform chain needs at least one transform.", "transform"))
    {
        _items = [.. items.Select(t => t.Unit == Unit ? t : t.InUnit(Unit))];
    }

    public override string Kind => "chain";

    /// <summary>The members, first (applied last to fixed points) to last.</summary>
    public IReadOnlyList<SpatialTransform> Items => _items;

    public override void TransformPoints(Span<double> x, Span<double> y, Span<double> z)
    {
        CheckLengths(x, y, z);
        for (int i = _items.Length - 1; i >= 0; i--) _items[i].TransformPoints(x, y, z);
    }

    /// <summary>
    /// The same map with neighbouring affines multiplied into one (fewer operations per point, same result);
    /// a chain that reduces to one transform returns it.
    /// </summary>
    public SpatialTransform Simplify()
    {
        var list = new List<SpatialTransform>();
        foreach (var t in _items)
        {
            if (t is AffineTransform3D a && list.Count > 0 && list[^1] is AffineTransform3D prev) list[^1] = prev.After(a);
            else list.Add(t);
        }
        return list.Count == 1 ? list[0] : new TransformChain([.. list]);
    }

    /// <summary>The whole chain sampled as one displacement field on <paramref name="grid"/> (its composition).</summary>
    public DisplacementField ToDisplacementField(VoxelGrid grid, int maxParallelism = -1) => DisplacementField.FromTransform(Simplify(), grid, maxParallelism);

    public override SpatialTransform InUnit(string unit) => unit == Unit ? this : new TransformChain([.. _items.Select(t => t.InUnit(unit))]);

    /// <summary>A chain of the given transforms, or the single transform itself.</summary>
    public static SpatialTransform Of(params SpatialTransform[] transforms) => transforms.Length == 1 ? transforms[0] : new TransformChain(transforms);

    public override string ToString() => $"chain of {_items.Length}: {string.Join(" ∘ ", _items.Select(t => t.Kind))}";

    private static SpatialTransform[] Flatten(IEnumerable<SpatialTransform> transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        var list = new List<SpatialTransform>();
        foreach (var t in transforms)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(transforms));
            if (t is TransformChain c) list.AddRange(c._items);
            else list.Add(t);
        }
        return [.. list];
    }
}
