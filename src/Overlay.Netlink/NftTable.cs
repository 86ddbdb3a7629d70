namespace Overlay.Netlink;

/// <summary>An nf_tables table.</summary>
public sealed record NftTable
{
    /// <summary>The family (<c>ip</c>, <c>ip6</c>, ...).</summary>
    public required NftFamily Family { get; init; }

    /// <summary>The name.</summary>
    public required string Name { get; init; }

    /// <summary>The comment (stored as nft does, in the table's user data), or null.</summary>
    public string? Comment { get; init; }

    /// <summary>The kernel's handle (set on listed tables; ignored when adding).</summary>
    public ulong? Handle { get; init; }
}
