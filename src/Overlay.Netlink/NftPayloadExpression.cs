using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary><c>payload load LENb @ BASE + OFFSET => reg DREG</c>.</summary>
/// <param name="Base">The header the offset counts from.</param>
/// <param name="Offset">The byte offset.</param>
/// <param name="Length">The number of bytes loaded.</param>
/// <param name="DestinationRegister">The register loaded (1 = nft's reg 1).</param>
public sealed record NftPayloadExpression(NftPayloadBase Base, uint Offset, uint Length, uint DestinationRegister = 1) : NftExpression
{
    /// <inheritdoc/>
    public override string Name => "payload";

    /// <inheritdoc/>
    public override string ToString() => $"payload load {Length}b @ {Base} + {Offset} => reg {DestinationRegister}";

    internal override void WriteData(ref NetlinkMessageWriter writer) => NftablesCodec.WritePayload(ref writer, this);
}
