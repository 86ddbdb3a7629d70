namespace Overlay.Netlink;

/// <summary>A comparison operator (<c>NFT_CMP_*</c>).</summary>
public enum NftCmpOperator
{
    /// <summary><c>eq</c>.</summary>
    Equal = 0,

    /// <summary><c>neq</c>.</summary>
    NotEqual = 1,

    /// <summary><c>lt</c>.</summary>
    LessThan = 2,

    /// <summary><c>lte</c>.</summary>
    LessThanOrEqual = 3,

    /// <summary><c>gt</c>.</summary>
    GreaterThan = 4,

    /// <summary><c>gte</c>.</summary>
    GreaterThanOrEqual = 5,
}
