namespace Overlay.Netlink;

/// <summary>An nf_tables chain; a base chain when <see cref="Hook"/> is set.</summary>
public sealed record NftChain
{
    /// <summary>The table's family.</summary>
    public required NftFamily Family { get; init; }

    /// <summary>The table's name.</summary>
    public required string Table { get; init; }

    /// <summary>The chain's name.</summary>
    public required string Name { get; init; }

    /// <summary>The base chain type (<c>filter</c>, <c>nat</c>, <c>route</c>); null for a regular chain.</summary>
    public string? Type { get; init; }

    /// <summary>The hook of a base chain; null for a regular chain.</summary>
    public NftHook? Hook { get; init; }

    /// <summary>The priority of a base chain (<c>filter</c> = 0, <c>srcnat</c> = 100, <c>dstnat</c> = -100).</summary>
    public int Priority { get; init; }

    /// <summary>The policy of a base chain (<see cref="NftVerdict.Accept"/> or <see cref="NftVerdict.Drop"/>); null leaves the kernel's default (accept) and sends no policy attribute.</summary>
    public NftVerdict? Policy { get; init; }

    /// <summary>The comment (in the chain's user data), or null.</summary>
    public string? Comment { get; init; }

    /// <summary>The kernel's handle (set on listed chains; ignored when adding).</summary>
    public ulong? Handle { get; init; }
}
