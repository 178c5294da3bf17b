/** Source health: failure counting and auto-suspension of egress sources ({@code suspend_when_*} rules). */
package dev.sluice.egress.health;
