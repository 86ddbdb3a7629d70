using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary><c>bitwise reg DREG = (reg SREG &amp; MASK) ^ XOR</c> (a prefix mask).</summary>
public sealed record NftBitwiseExpression : NftExpression
{
    private readonly byte[] _mask;
    private readonly byte[] _xor;

    /// <summary>Creates the expression.</summary>
    /// <param name="mask">The mask (1 to 16 bytes).</param>
    /// <param name="xor">The xor value, the same length as the mask.</param>
    /// <param name="sourceRegister">The source register.</param>
    /// <param name="destinationRegister">The destination register.</param>
    public NftBitwiseExpression(ReadOnlySpan<byte> mask, ReadOnlySpan<byte> xor, uint sourceRegister = 1, uint destinationRegister = 1)
    {
        if (mask.IsEmpty || mask.Length > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(mask), mask.Length, "bitwise mask must be 1 to 16 bytes.");
        }

        if (xor.Length != mask.Length)
        {
            throw new ArgumentException("xor must be as long as mask.", nameof(xor));
        }

        _mask = mask.ToArray();
        _xor = xor.ToArray();
        SourceRegister = sourceRegister;
        DestinationRegister = destinationRegister;
    }

    /// <summary>The mask.</summary>
    public ReadOnlyMemory<byte> Mask => _mask;

    /// <summary>The xor value.</summary>
    public ReadOnlyMemory<byte> Xor => _xor;

    /// <summary>The source register.</summary>
    public uint SourceRegister { get; }

    /// <summary>The destination register.</summary>
    public uint DestinationRegister { get; }

    /// <inheritdoc/>
    public override string Name => "bitwise";

    /// <inheritdoc/>
    public bool Equals(NftBitwiseExpression? other) =>
        other is not null && SourceRegister == other.SourceRegister && DestinationRegister == other.DestinationRegister
        && _mask.AsSpan().SequenceEqual(other._mask) && _xor.AsSpan().SequenceEqual(other._xor);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(SourceRegister, DestinationRegister, _mask.Length);

    /// <inheritdoc/>
    public override string ToString() =>
        $"bitwise reg {DestinationRegister} = (reg {SourceRegister} & 0x{Convert.ToHexString(_mask)}) ^ 0x{Convert.ToHexString(_xor)}";

    internal override void WriteData(ref NetlinkMessageWriter writer) => NftablesCodec.WriteBitwise(ref writer, this);
}
