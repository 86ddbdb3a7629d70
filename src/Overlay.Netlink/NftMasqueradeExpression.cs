using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary><c>masq</c>: source NAT to the output interface's address (nft's <c>masquerade</c>).</summary>
/// <param name="FullyRandom">Adds <c>fully-random</c> (NF_NAT_RANGE_PROTO_RANDOM_FULLY): source ports chosen at random.</param>
public sealed record NftMasqueradeExpression(bool FullyRandom = false) : NftExpression
{
    /// <summary>NF_NAT_RANGE_PROTO_RANDOM_FULLY.</summary>
    internal const uint RandomFullyFlag = 0x10;

    /// <inheritdoc/>
    public override string Name => "masq";

    /// <inheritdoc/>
    public override string ToString() => FullyRandom ? "masq flags 0x10" : "masq";

    internal override void WriteData(ref NetlinkMessageWriter writer) => NftablesCodec.WriteMasquerade(ref writer, this);
}
