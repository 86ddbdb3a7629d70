namespace Overlay.Netlink;

/// <summary>A nested attribute opened by <see cref="NetlinkMessageWriter.BeginNested"/>.</summary>
public readonly struct NestedAttribute
{
    internal NestedAttribute(int offset) => Offset = offset;

    /// <summary>Offset of the attribute header in the writer's buffer.</summary>
    public int Offset { get; }
}
