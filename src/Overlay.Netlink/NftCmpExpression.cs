using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary><c>cmp OP reg SREG DATA</c>: compares a register with a constant (network byte order as loaded).</summary>
public sealed record NftCmpExpression : NftExpression
{
    private readonly byte[] _data;

    /// <summary>Creates the expression.</summary>
    /// <param name="operator">The operator.</param>
    /// <param name="data">The constant (1 to 16 bytes).</param>
    /// <param name="sourceRegister">The register compared.</param>
    public NftCmpExpression(NftCmpOperator @operator, ReadOnlySpan<byte> data, uint sourceRegister = 1)
    {
        if (data.IsEmpty || data.Length > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(data), data.Length, "cmp data must be 1 to 16 bytes.");
        }

        Operator = @operator;
        _data = data.ToArray();
        SourceRegister = sourceRegister;
    }

    /// <summary>The operator.</summary>
    public NftCmpOperator Operator { get; }

    /// <summary>The constant.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>The register compared.</summary>
    public uint SourceRegister { get; }

    /// <inheritdoc/>
    public override string Name => "cmp";

    /// <inheritdoc/>
    public bool Equals(NftCmpExpression? other) =>
        other is not null && Operator == other.Operator && SourceRegister == other.SourceRegister && _data.AsSpan().SequenceEqual(other._data);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Operator, SourceRegister, _data.Length, _data[0]);

    /// <inheritdoc/>
    public override string ToString() => $"cmp {Operator} reg {SourceRegister} 0x{Convert.ToHexString(_data)}";

    internal override void WriteData(ref NetlinkMessageWriter writer) => NftablesCodec.WriteCmp(ref writer, this);
}
