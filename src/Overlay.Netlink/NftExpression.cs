using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary>
/// One nf_tables rule expression (<c>nft --debug=netlink</c> shows them as "[ payload load ... ]").
/// The derived records are the expressions this library writes and decodes; others decode as
/// <see cref="NftUnknownExpression"/>. Registers use the kernel's numbering: 0 is the verdict
/// register, 1..4 the 128-bit data registers (nft's "reg 1").
/// </summary>
public abstract record NftExpression
{
    private protected NftExpression()
    {
    }

    /// <summary>The kernel's expression name (<c>payload</c>, <c>cmp</c>, ...).</summary>
    public abstract string Name { get; }

    /// <summary>Writes the expression's <c>NFTA_EXPR_DATA</c> attributes.</summary>
    internal abstract void WriteData(ref NetlinkMessageWriter writer);
}
