namespace Overlay.Netlink;

/// <summary>An algorithm of a state: name as the kernel's crypto API knows it and the key.</summary>
/// <param name="Name">E.g. <c>rfc4106(gcm(aes))</c>, <c>cbc(aes)</c>, <c>hmac(sha256)</c>.</param>
/// <param name="Key">The key bytes.</param>
/// <param name="LengthBits">ICV length for AEAD, truncation length for auth-trunc; ignored otherwise.</param>
public sealed record XfrmAlgorithm(string Name, ReadOnlyMemory<byte> Key, int LengthBits = 0)
{
    /// <summary>Redacts the key.</summary>
    /// <returns>The name only.</returns>
    public override string ToString() => $"{Name} ({Key.Length * 8}-bit key, redacted)";
}
