#!/usr/bin/perl
# File: tests/cli/peer_mail_dkim.pl
# Perl Mail::DKIM (Debian libmail-dkim-perl) as an independent DKIM verifier for interop_test.cpp.
# DNS is faked the way Mail::DKIM's own t/ tests do it: Mail::DKIM::DNS::query is replaced by a
# lookup in a dkimscan key file (cache/KEYFILE.md), so nothing leaves the machine.
#
#   peer_mail_dkim.pl KEYFILE MESSAGE...   -> "<result> <result>..." per message, one per
#                                            DKIM-Signature top to bottom (pass, fail, invalid, ...)
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Net::DNS;

my ( $key_file, @messages ) = @ARGV;
die "usage: peer_mail_dkim.pl KEYFILE MESSAGE...\n" unless defined $key_file && @messages;

my %zone;
open( my $keys, '<', $key_file ) or die "$key_file: $!\n";
while ( my $line = <$keys> ) {
    $line =~ s/\r?\n\z//;
    next if $line eq '' || $line =~ /^#/;
    my ( $name, $value ) = split / /, $line, 2;
    next if !defined $value || $value =~ /^!/;    # !NXDOMAIN, !TEMPFAIL: no record
    push @{ $zone{ lc $name } }, $value;
}
close $keys;

{
    no warnings 'redefine';
    *Mail::DKIM::DNS::query = sub {
        my ( $name, $type ) = @_;
        my $values = $zone{ lc $name };
        if ( !$values ) { $@ = 'NXDOMAIN'; return; }
        # A TXT record is a list of strings of at most 255 bytes each (RFC 1035 §3.3.14).
        return map { Net::DNS::RR->new( name => $name, type => 'TXT', txtdata => [ unpack '(a255)*', $_ ] ) }
          @$values;
    };
}

for my $path (@messages) {
    open( my $fh, '<:raw', $path ) or die "$path: $!\n";
    my $dkim = Mail::DKIM::Verifier->new();
    while ( my $line = <$fh> ) {
        $line =~ s/\r?\n\z/\015\012/;
        $dkim->PRINT($line);
    }
    close $fh;
    $dkim->CLOSE;
    my @results = map { $_->result } $dkim->signatures;
    print @results ? join( ' ', @results ) : 'none', "\n";
}
