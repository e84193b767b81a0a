namespace EmAlign.Numerics;

/// <summary>
/// A float buffer on the pinned object heap whose <see cref="Pointer"/> is 64-byte aligned, for SIMD kernels
/// that work through raw pointers. Garbage-collected like any array, so nothing leaks if it is dropped.
/// </summary>
internal sealed unsafe class PinnedBuffer
{
    private readonly float[] _array;

    public PinnedBuffer(int length)
    {
        Length = length;
        _array = GC.AllocateUninitializedArray<float>(length + 16, pinned: true);
        fixed (float* p = _array)
        {
            // The array never moves (pinned heap), so the aligned address stays valid for its lifetime.
            long misalign = ((long)p & 63) / sizeof(float);
            Offset = misalign == 0 ? 0 : (int)(16 - misalign);
            Pointer = p + Offset;
        }
    }

    public int Length { get; }

    public float* Pointer { get; }

    private int Offset { get; }

    public Span<float> Span => _array.AsSpan(Offset, Length);
}
