namespace Overlay.Netlink;

/// <summary>Any other kind, sent with IFLA_INFO_KIND only (e.g. <c>dummy</c>, <c>ifb</c>) or read back when the kind is not modelled.</summary>
public sealed record GenericLinkSpec : LinkSpec
{
    private readonly string _kind = string.Empty;

    /// <inheritdoc />
    public override string Kind => _kind;

    /// <summary>The kind name.</summary>
    public required string KindName
    {
        get => _kind;
        init => _kind = value ?? throw new ArgumentNullException(nameof(value));
    }
}
