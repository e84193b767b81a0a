using EmAlign.Codecs;

namespace EmAlign.Tests.Codecs;

public class Bzip2SuffixSortTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("ba")]
    [InlineData("aaaa")]
    [InlineData("abab")]
    [InlineData("abcabcabc")]
    [InlineData("banana")]
    [InlineData("mississippi")]
    [InlineData("aabaabaab")]
    [InlineData("zyxwvutsrqponm")]
    public void SortsRotationsOfSmallWords(string word) => CheckAgainstNaive(System.Text.Encoding.ASCII.GetBytes(word));

    [Fact]
    public void SortsRotationsOfRandomBlocks()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            var block = new byte[rng.Next(1, 300)];
            int alphabet = rng.Next(1, 5);
            for (int i = 0; i < block.Length; i++) block[i] = (byte)rng.Next(alphabet);
            if (trial % 4 == 0)
            {
                // Periodic blocks: a random word repeated.
                int p = rng.Next(1, 9);
                for (int i = p; i < block.Length; i++) block[i] = block[i % p];
            }
            CheckAgainstNaive(block);
        }
    }

    private static void CheckAgainstNaive(byte[] block)
    {
        int n = block.Length;
        var order = new int[n];
        Bzip2SuffixSort.SortRotations(block, order);
        Assert.Equal(Enumerable.Range(0, n), order.OrderBy(i => i));
        for (int row = 1; row < n; row++)
            Assert.True(CompareRotations(block, order[row - 1], order[row]) <= 0, $"rows {row - 1} and {row} are out of order");
    }

    private static int CompareRotations(byte[] s, int a, int b)
    {
        for (int k = 0; k < s.Length; k++)
        {
            int d = s[(a + k) % s.Length] - s[(b + k) % s.Length];
            if (d != 0) return d;
        }
        return 0;
    }
}
