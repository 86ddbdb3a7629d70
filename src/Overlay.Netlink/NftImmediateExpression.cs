using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary><c>immediate reg 0 VERDICT</c>: the rule's verdict (<c>accept</c>, <c>drop</c>, <c>return</c>...).</summary>
/// <param name="Verdict">The verdict.</param>
public sealed record NftImmediateExpression(NftVerdict Verdict) : NftExpression
{
    /// <inheritdoc/>
    public override string Name => "immediate";

    /// <inheritdoc/>
    public override string ToString() => $"immediate reg 0 {Verdict}";

    internal override void WriteData(ref NetlinkMessageWriter writer) => NftablesCodec.WriteImmediate(ref writer, this);
}
