using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary><c>immediate reg 0 VERDICT</c>: the rule's verdict (<c>accept</c>, <c>drop</c>, <c>return</c>, <c>jump CHAIN</c>...).</summary>
/// <param name="Verdict">The verdict.</param>
/// <param name="Chain">The target chain of <see cref="NftVerdict.Jump"/> and <see cref="NftVerdict.Goto"/>; null otherwise.</param>
public sealed record NftImmediateExpression(NftVerdict Verdict, string? Chain = null) : NftExpression
{
    /// <inheritdoc/>
    public override string Name => "immediate";

    /// <inheritdoc/>
    public override string ToString() => Chain is null ? $"immediate reg 0 {Verdict}" : $"immediate reg 0 {Verdict} {Chain}";

    internal override void WriteData(ref NetlinkMessageWriter writer) => NftablesCodec.WriteImmediate(ref writer, this);
}
