namespace EmAlign.Codecs;

/// <summary>
/// The adaptive model shared by the LZMA encoder and decoder: where each group of 11-bit
/// probabilities lives in one ushort array, the state machine, and the literal-context rule.
/// </summary>
internal static class LzmaModel
{
    public const int NumStates = 12, MaxPosStates = 16, MinMatch = 2, MaxMatch = 273;
    public const int EndPosModelIndex = 14, NumFullDistances = 128, AlignBits = 4;
    public const int ProbInit = 1024, ProbBits = 11, MoveBits = 5;

    public const int IsMatch = 0;                                       // [state][posState]
    public const int IsRep = IsMatch + NumStates * MaxPosStates;         // [state]
    public const int IsRepG0 = IsRep + NumStates;
    public const int IsRepG1 = IsRepG0 + NumStates;
    public const int IsRepG2 = IsRepG1 + NumStates;
    public const int IsRep0Long = IsRepG2 + NumStates;                   // [state][posState]
    public const int PosSlot = IsRep0Long + NumStates * MaxPosStates;    // [lenState 0..3][64]
    public const int SpecPos = PosSlot + 4 * 64;                         // reverse trees for slots 4..13, indexed from 1
    public const int Align = SpecPos + 1 + NumFullDistances - EndPosModelIndex;
    public const int LenCoder = Align + (1 << AlignBits);
    public const int RepLenCoder = LenCoder + LenCoderSize;
    public const int Literal = RepLenCoder + LenCoderSize;               // 0x300 per literal context

    // Length coder: choice, choice2, low[posState][8], mid[posState][8], high[256].
    public const int LenChoice = 0, LenChoice2 = 1, LenLow = 2, LenMid = LenLow + MaxPosStates * 8, LenHigh = LenMid + MaxPosStates * 8;
    public const int LenCoderSize = LenHigh + 256;

    /// <summary>Number of probabilities for literal-context bits lc + lp (at most 4 in LZMA2).</summary>
    public static int ProbCount(int lc, int lp) => Literal + (0x300 << (lc + lp));

    public static int AfterLiteral(int state) => state < 4 ? 0 : state < 10 ? state - 3 : state - 6;

    public static int AfterMatch(int state) => state < 7 ? 7 : 10;

    public static int AfterRep(int state) => state < 7 ? 8 : 11;

    public static int AfterShortRep(int state) => state < 7 ? 9 : 11;

    /// <summary>Start of the 0x300 literal probabilities for a byte at <paramref name="pos"/> after <paramref name="prev"/>.</summary>
    public static int LiteralBase(int pos, int prev, int lc, int lpMask) =>
        Literal + 0x300 * (((pos & lpMask) << lc) + (prev >> (8 - lc)));

    /// <summary>Distance slot: 0-3 as is, then two slots per power of two.</summary>
    public static int DistanceSlot(uint dist)
    {
        if (dist < 4) return (int)dist;
        int n = 31 - System.Numerics.BitOperations.LeadingZeroCount(dist);
        return (n << 1) | (int)((dist >> (n - 1)) & 1);
    }

    /// <summary>Decodes the lc/lp/pb properties byte ((pb * 5 + lp) * 9 + lc); false when invalid.</summary>
    public static bool TryParseProperties(byte props, out int lc, out int lp, out int pb)
    {
        lc = props % 9;
        lp = props / 9 % 5;
        pb = props / 45;
        return props < 9 * 5 * 5;
    }
}
