namespace EmAlign.Numerics;

/// <summary>Morphology and connected components on 2D boolean masks (row-major, x fastest).</summary>
public static class BinaryMask
{
    /// <summary>Dilates with the 8-connected 3x3 element, <paramref name="iterations"/> times.</summary>
    public static bool[] Dilate(ReadOnlySpan<bool> mask, int width, int height, int iterations = 1)
    {
        var cur = mask.ToArray();
        var next = new bool[cur.Length];
        for (int it = 0; it < iterations; it++)
        {
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    bool any = false;
                    for (int dy = -1; dy <= 1 && !any; dy++)
                    {
                        int yy = y + dy;
                        if ((uint)yy >= (uint)height) continue;
                        for (int dx = -1; dx <= 1; dx++)
                        {
                            int xx = x + dx;
                            if ((uint)xx < (uint)width && cur[yy * width + xx]) { any = true; break; }
                        }
                    }
                    next[y * width + x] = any;
                }
            (cur, next) = (next, cur);
        }
        return cur;
    }

    /// <summary>
    /// Labels connected components (8- or 4-connected) of true pixels: 0 is background, components are 1..count.
    /// </summary>
    public static int[] Label(ReadOnlySpan<bool> mask, int width, int height, out int count, bool eightConnected = true)
    {
        var labels = new int[mask.Length];
        var stack = new Stack<int>();
        count = 0;
        for (int start = 0; start < mask.Length; start++)
        {
            if (!mask[start] || labels[start] != 0) continue;
            labels[start] = ++count;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int p = stack.Pop();
                int px = p % width, py = p / width;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        if ((dx == 0 && dy == 0) || (!eightConnected && dx != 0 && dy != 0)) continue;
                        int x = px + dx, y = py + dy;
                        if ((uint)x >= (uint)width || (uint)y >= (uint)height) continue;
                        int q = y * width + x;
                        if (mask[q] && labels[q] == 0) { labels[q] = count; stack.Push(q); }
                    }
            }
        }
        return labels;
    }

    /// <summary>Sizes of components 0..count (index 0 = background pixels).</summary>
    public static long[] ComponentSizes(ReadOnlySpan<int> labels, int count)
    {
        var sizes = new long[count + 1];
        foreach (var l in labels) sizes[l]++;
        return sizes;
    }
}
