using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary>A listed expression this library does not model; its attributes are kept raw and written back unchanged.</summary>
public sealed record NftUnknownExpression : NftExpression
{
    private readonly string _name;
    private readonly byte[] _data;

    /// <summary>Creates the expression.</summary>
    /// <param name="name">The kernel's expression name.</param>
    /// <param name="data">The raw <c>NFTA_EXPR_DATA</c> attributes.</param>
    public NftUnknownExpression(string name, ReadOnlySpan<byte> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _name = name;
        _data = data.ToArray();
    }

    /// <inheritdoc/>
    public override string Name => _name;

    /// <summary>The raw attributes.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <inheritdoc/>
    public bool Equals(NftUnknownExpression? other) =>
        other is not null && string.Equals(_name, other._name, StringComparison.Ordinal) && _data.AsSpan().SequenceEqual(other._data);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_name, _data.Length);

    /// <inheritdoc/>
    public override string ToString() => $"{_name} 0x{Convert.ToHexString(_data)}";

    internal override void WriteData(ref NetlinkMessageWriter writer) => writer.WriteBytes(_data);
}
