namespace Overlay.Netlink;

/// <summary>
/// A list of nf_tables changes applied as one batch (<c>NFNL_MSG_BATCH_BEGIN</c> ... <c>END</c>):
/// the kernel commits all of them or none, and other readers never see a half-applied state.
/// Operations run in the order they were added (as the lines of an <c>nft -f</c> file).
/// </summary>
public sealed class NftTransaction
{
    private readonly List<NftOperation> _operations = [];

    /// <summary>The number of operations.</summary>
    public int Count => _operations.Count;

    internal IReadOnlyList<NftOperation> Operations => _operations;

    /// <summary><c>add table</c>: creates the table, or leaves an existing one as it is.</summary>
    /// <param name="table">The table.</param>
    /// <returns>This transaction.</returns>
    public NftTransaction AddTable(NftTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentException.ThrowIfNullOrEmpty(table.Name, nameof(table));
        return Add(new NftOperation(NftOperationKind.AddTable, table.Family, table.Name, null, table));
    }

    /// <summary><c>delete table</c>: deletes the table with everything in it (ENOENT when there is none).</summary>
    /// <param name="family">The family.</param>
    /// <param name="name">The table.</param>
    /// <returns>This transaction.</returns>
    public NftTransaction DeleteTable(NftFamily family, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Add(new NftOperation(NftOperationKind.DeleteTable, family, name, null, null));
    }

    /// <summary><c>add chain</c>: creates the chain, or leaves an existing one (whose hook, type and priority must then match).</summary>
    /// <param name="chain">The chain.</param>
    /// <returns>This transaction.</returns>
    public NftTransaction AddChain(NftChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentException.ThrowIfNullOrEmpty(chain.Table, nameof(chain));
        ArgumentException.ThrowIfNullOrEmpty(chain.Name, nameof(chain));
        if (chain.Hook is not null && string.IsNullOrEmpty(chain.Type))
        {
            throw new ArgumentException("A base chain (Hook set) needs a Type (filter, nat, route).", nameof(chain));
        }

        return Add(new NftOperation(NftOperationKind.AddChain, chain.Family, chain.Table, chain.Name, chain));
    }

    /// <summary><c>delete chain</c> (the chain must be empty and unreferenced).</summary>
    /// <param name="family">The family.</param>
    /// <param name="table">The table.</param>
    /// <param name="name">The chain.</param>
    /// <returns>This transaction.</returns>
    public NftTransaction DeleteChain(NftFamily family, string table, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Add(new NftOperation(NftOperationKind.DeleteChain, family, table, name, null));
    }

    /// <summary><c>flush chain</c>: deletes every rule of the chain.</summary>
    /// <param name="family">The family.</param>
    /// <param name="table">The table.</param>
    /// <param name="chain">The chain.</param>
    /// <returns>This transaction.</returns>
    public NftTransaction FlushChain(NftFamily family, string table, string chain)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        ArgumentException.ThrowIfNullOrEmpty(chain);
        return Add(new NftOperation(NftOperationKind.FlushChain, family, table, chain, null));
    }

    /// <summary><c>add rule</c>: appends the rule at the end of its chain.</summary>
    /// <param name="rule">The rule.</param>
    /// <returns>This transaction.</returns>
    public NftTransaction AddRule(NftRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentException.ThrowIfNullOrEmpty(rule.Table, nameof(rule));
        ArgumentException.ThrowIfNullOrEmpty(rule.Chain, nameof(rule));
        ArgumentNullException.ThrowIfNull(rule.Expressions, nameof(rule));
        return Add(new NftOperation(NftOperationKind.AddRule, rule.Family, rule.Table, rule.Chain, rule));
    }

    /// <summary><c>delete rule ... handle H</c>.</summary>
    /// <param name="family">The family.</param>
    /// <param name="table">The table.</param>
    /// <param name="chain">The chain.</param>
    /// <param name="handle">The rule's handle.</param>
    /// <returns>This transaction.</returns>
    public NftTransaction DeleteRule(NftFamily family, string table, string chain, ulong handle)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        ArgumentException.ThrowIfNullOrEmpty(chain);
        return Add(new NftOperation(NftOperationKind.DeleteRule, family, table, chain, null, handle));
    }

    private NftTransaction Add(NftOperation operation)
    {
        _operations.Add(operation);
        return this;
    }
}

internal enum NftOperationKind
{
    AddTable,
    DeleteTable,
    AddChain,
    DeleteChain,
    FlushChain,
    AddRule,
    DeleteRule,
}

internal sealed record NftOperation(NftOperationKind Kind, NftFamily Family, string Table, string? Chain, object? Value, ulong Handle = 0);
