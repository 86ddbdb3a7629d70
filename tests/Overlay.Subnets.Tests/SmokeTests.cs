namespace Overlay.Subnets.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Passes() => Assert.Equal(2, 1 + 1);
}
