namespace Overlay.Netlink;

/// <summary>A Linux bridge (kind <c>bridge</c>).</summary>
public sealed record BridgeLinkSpec : LinkSpec
{
    /// <summary>The kind name.</summary>
    public const string KindName = "bridge";

    /// <inheritdoc />
    public override string Kind => KindName;
}
