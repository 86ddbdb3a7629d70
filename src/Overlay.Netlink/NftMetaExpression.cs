using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary><c>meta load KEY => reg DREG</c>.</summary>
/// <param name="Key">The meta key.</param>
/// <param name="DestinationRegister">The register loaded.</param>
public sealed record NftMetaExpression(NftMetaKey Key, uint DestinationRegister = 1) : NftExpression
{
    /// <inheritdoc/>
    public override string Name => "meta";

    /// <inheritdoc/>
    public override string ToString() => $"meta load {Key} => reg {DestinationRegister}";

    internal override void WriteData(ref NetlinkMessageWriter writer) => NftablesCodec.WriteMeta(ref writer, this);
}
