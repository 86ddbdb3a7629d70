namespace Overlay.Backends.Tests;

/// <summary>A kernel object in the fake kernel (Overlay.Testing's FakeKind): identity plus value.</summary>
internal sealed record FakeObject(string Key, string Value)
{
    public override string ToString() => $"{Key}={Value}";
}
