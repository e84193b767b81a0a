using System.Text.Json;
using EmAlign.Diagnostics;
using EmAlign.Transforms;

namespace EmAlign.Tests.Transforms;

public sealed class TransformFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emalign-tf-" + Guid.NewGuid().ToString("N")[..8]);

    public TransformFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly AffineTransform3D A = new([1.02, 0.05, -0.01, 5, -0.04, 0.98, 0.02, -3, 0.01, -0.03, 1.01, 2], "nanometer");
    private static readonly VoxelGrid Grid = new(20, 16, 6, 8, 8, 40, 4, 4, 0, "nanometer");

    private static void SameMap(SpatialTransform a, SpatialTransform b) => Assert.True(TransformDistance.Measure(a, b, Grid, 1).Max < 1e-4);

    [Fact]
    public void AffinesRoundTripAsMatrixXyz()
    {
        string path = Path.Combine(_dir, "a.json");
        TransformFile.Save(A, path);
        using (var doc = JsonDocument.Parse(File.ReadAllText(path)))
        {
            Assert.Equal("affine", doc.RootElement.GetProperty("type").GetString());
            Assert.Equal("fixed_to_moving", doc.RootElement.GetProperty("direction").GetString());
            Assert.Equal(5, doc.RootElement.GetProperty("matrix_xyz")[0][3].GetDouble());
            Assert.Equal(1, doc.RootElement.GetProperty("matrix_xyz")[3][3].GetDouble());
        }
        var back = Assert.IsType<AffineTransform3D>(TransformFile.Load(path));
        Assert.Equal(A.ToMatrix4x4(), back.ToMatrix4x4());
        Assert.Equal("nanometer", back.Unit);
        Assert.Throws<OutputExistsException>(() => TransformFile.Save(A, path));
        TransformFile.Save(A, path, force: true);
    }

    [Fact]
    public void LocalAffinesAndChainsRoundTrip()
    {
        var affines = Enumerable.Range(0, 6).Select(i => i == 2 ? null : (AffineTransform3D?)AffineTransform3D.Shift(i, -i, 0.5 * i, "nanometer")).ToArray();
        var local = new LocalAffineTransform(Grid, (8, 8, 6), (4, 4, 3), affines);
        var chain = new TransformChain([A, local]);
        string path = Path.Combine(_dir, "chain.json");
        TransformFile.Save(chain, path);
        var back = Assert.IsType<TransformChain>(TransformFile.Load(path));
        Assert.Equal(["affine", "local_affines"], back.Items.Select(t => t.Kind));
        var l = Assert.IsType<LocalAffineTransform>(back.Items[1]);
        Assert.False(l.Estimated[2]);
        SameMap(chain, back);
    }

    [Fact]
    public void DisplacementFieldsGoToZarrBesideTheJson()
    {
        var field = DisplacementField.FromTransform(A, Grid);
        string path = Path.Combine(_dir, "f.json");
        TransformFile.Save(new TransformChain([A.Inverse(), field]), path);
        Assert.True(Directory.Exists(Path.Combine(_dir, "f.field1.zarr")));
        var back = Assert.IsType<TransformChain>(TransformFile.Load(path));
        var f = Assert.IsType<DisplacementField>(back.Items[1]);
        Assert.Equal(field.Ux, f.Ux);
        Assert.Equal(field.Uz, f.Uz);
        // The Zarr array alone loads as a field too (grid from its voxel size and offset).
        var bare = Assert.IsType<DisplacementField>(TransformFile.Load(Path.Combine(_dir, "f.field1.zarr")));
        SameMap(field, bare);
    }

    [Theory]
    [InlineData("""{"type": "affine", "unit": "nm", "matrix_xyz": [[1, 0, 0], [0, 1, 0]]}""", "\"matrix_xyz\" as 3 or 4 rows")]
    [InlineData("""{"type": "spline", "unit": "nm"}""", "a known \"type\"")]
    [InlineData("""{"type": "affine", "direction": "moving_to_fixed", "unit": "nm", "matrix_xyz": []}""", "invert the transform first")]
    [InlineData("""{"type": "affine", "matrix_xyz": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]}""", "a \"unit\" string")]
    [InlineData("""[1, 2]""", "a JSON object")]
    [InlineData("""{"type": "chain", "transforms": []}""", "non-empty \"transforms\"")]
    public void BadFilesSayWhatWasExpected(string json, string expected)
    {
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<InvalidVolumeException>(() => TransformFile.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains("bad.json", e.Message);
    }

    [Fact]
    public void MissingAndNonJsonFilesAreReported()
    {
        Assert.Throws<VolumeNotFoundException>(() => TransformFile.Load(Path.Combine(_dir, "none.json")));
        string path = Path.Combine(_dir, "text.json");
        File.WriteAllText(path, "1 0 0 0\n0 1 0 0");
        Assert.Contains("is not a JSON transform", Assert.Throws<InvalidVolumeException>(() => TransformFile.Load(path)).Message);
    }
}
