namespace Overlay.Netlink;

/// <summary>A verdict (<c>NF_*</c> and <c>NFT_*</c> verdict codes): a base chain's policy or an immediate rule verdict.</summary>
public enum NftVerdict
{
    /// <summary><c>drop</c>.</summary>
    Drop = 0,

    /// <summary><c>accept</c>.</summary>
    Accept = 1,

    /// <summary><c>continue</c> (NFT_CONTINUE).</summary>
    Continue = -1,

    /// <summary><c>break</c> (NFT_BREAK).</summary>
    Break = -2,

    /// <summary><c>jump CHAIN</c> (NFT_JUMP).</summary>
    Jump = -3,

    /// <summary><c>goto CHAIN</c> (NFT_GOTO).</summary>
    Goto = -4,

    /// <summary><c>return</c> (NFT_RETURN).</summary>
    Return = -5,
}
