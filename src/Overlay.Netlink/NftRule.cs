namespace Overlay.Netlink;

/// <summary>An nf_tables rule: a list of expressions evaluated in order.</summary>
public sealed record NftRule
{
    /// <summary>The table's family.</summary>
    public required NftFamily Family { get; init; }

    /// <summary>The table's name.</summary>
    public required string Table { get; init; }

    /// <summary>The chain's name.</summary>
    public required string Chain { get; init; }

    /// <summary>The expressions, e.g. from <see cref="NftMatch"/> followed by a verdict.</summary>
    public required IReadOnlyList<NftExpression> Expressions { get; init; }

    /// <summary>The kernel's handle (set on listed rules; ignored when adding).</summary>
    public ulong? Handle { get; init; }

    /// <summary>True when both rules have the same place (family, table, chain) and equal expressions; handles are ignored.</summary>
    /// <param name="other">The other rule.</param>
    /// <returns>True when equivalent.</returns>
    public bool IsEquivalentTo(NftRule other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Family == other.Family
            && string.Equals(Table, other.Table, StringComparison.Ordinal)
            && string.Equals(Chain, other.Chain, StringComparison.Ordinal)
            && Expressions.SequenceEqual(other.Expressions);
    }

    /// <summary>The expressions in nft's debug notation, separated by "; ".</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        $"{Family} {Table} {Chain} [{string.Join("; ", Expressions)}]" + (Handle is { } h ? $" handle {h}" : string.Empty);
}
