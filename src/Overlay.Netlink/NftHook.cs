namespace Overlay.Netlink;

/// <summary>The netfilter hook of a base chain (<c>NF_INET_*</c>).</summary>
public enum NftHook
{
    /// <summary><c>prerouting</c>.</summary>
    Prerouting = 0,

    /// <summary><c>input</c>.</summary>
    Input = 1,

    /// <summary><c>forward</c>.</summary>
    Forward = 2,

    /// <summary><c>output</c>.</summary>
    Output = 3,

    /// <summary><c>postrouting</c>.</summary>
    Postrouting = 4,
}
