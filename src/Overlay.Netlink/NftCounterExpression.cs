using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary><c>counter</c>: counts packets and bytes. Counts are ignored by equality (they change as traffic flows).</summary>
/// <param name="Packets">Packets counted (as listed; 0 when adding).</param>
/// <param name="Bytes">Bytes counted (as listed; 0 when adding).</param>
public sealed record NftCounterExpression(ulong Packets = 0, ulong Bytes = 0) : NftExpression
{
    /// <inheritdoc/>
    public override string Name => "counter";

    /// <inheritdoc/>
    public bool Equals(NftCounterExpression? other) => other is not null;

    /// <inheritdoc/>
    public override int GetHashCode() => 17;

    /// <inheritdoc/>
    public override string ToString() => $"counter pkts {Packets} bytes {Bytes}";

    internal override void WriteData(ref NetlinkMessageWriter writer) => NftablesCodec.WriteCounter(ref writer, this);
}
